import SolverCore
import SolverSession
import SolverWire

/// The sessions of this process's registry: `solverd mcp` without `--server`, and `/mcp` inside `solverd serve`
/// (sharing the service's sessions).
public struct InProcessBackend: SessionBackend {
    public let registry: SessionRegistry

    public init(registry: SessionRegistry) {
        self.registry = registry
    }

    public var location: String { "in_process" }

    public func create(_ request: SolveRequest, body: JSONValue, wait: WaitPlan) async throws -> (SessionID, WaitOutcome?) {
        let registry = self.registry
        let session = try await OffloadedWork.run { try registry.create(request.spec) }
        let watch = SolveWatch(session: session)
        try watch.waiter.attach(replayFromStart: true) { session.status }
        return (session.id, try await watch.wait(timeout: wait.timeout, progress: wait.progress))
    }

    public func push(_ request: CostUpdateRequest, body: JSONValue, wait: WaitPlan?) async throws -> (UInt64, WaitOutcome?) {
        let session = try registry.require(request.sessionID)
        let watch = SolveWatch(session: session)
        // Subscribed before the update is queued, so the signal that reflects it cannot be missed.
        if wait != nil { try watch.waiter.attach(replayFromStart: false) { session.status } }
        let seq: UInt64
        do {
            seq = try await session.acknowledged(request.update) { watch.waiter.expect(update: $0) }
        } catch {
            watch.waiter.detach()
            throw error
        }
        guard let wait else { return (seq, nil) }
        return (seq, try await watch.wait(timeout: wait.timeout, progress: wait.progress))
    }

    public func status(_ id: SessionID) async throws -> SessionSummary {
        SessionSummary(try registry.require(id).status)
    }

    public func solution(_ id: SessionID, indices: [Int]?) async throws -> SolutionRead {
        try await registry.require(id).solution(indices: indices)
    }

    public func verify(_ id: SessionID, probeCount: Int?, indices: [Int]?) async throws -> [UInt8] {
        let result = try await registry.require(id).verification(probeCount: probeCount, indices: indices)
        return WireEncoder.verificationResult(result, sessionID: id, seq: nil)
    }

    public func service() async throws -> ServiceSummary {
        let sessions = registry.all.map { SessionSummary($0.status) }
        return ServiceSummary(sessions: sessions, memoryBytes: sessions.reduce(0) { $0 + $1.memoryBytes },
                              schedulerWidth: registry.scheduler.width)
    }

    public func close(_ id: SessionID) async throws {
        guard registry.close(id) else {
            throw SolverError(.sessionNotFound, "no session \(id)", field: "session_id")
        }
    }
}

extension SessionSummary {
    init(_ s: SessionStatus) {
        self.init(sessionID: s.sessionID.rawValue, phase: s.phase.rawValue, rows: s.rows, nnz: s.nnz, method: s.method,
                  methodReason: s.methodReason, iteration: s.iteration, relativeResidual: s.relativeResidual,
                  tolerance: s.tolerance, stopReason: s.stopReason, memoryBytes: s.memoryBytes, json: WireEncoder.status(s))
    }
}
