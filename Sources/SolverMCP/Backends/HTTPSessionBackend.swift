import Foundation
import Synchronization
import SolverCore
import SolverSession
import SolverWire

/// The sessions of a running solverd server, over its HTTP API (`solverd mcp --server URL [--token T]`): sessions
/// the tools create are the server's, visible to every other client. Waits follow the server's NDJSON event
/// streams: `POST /api/v1/solve-stream?until=converged` for a new session, `GET /api/v1/sessions/{id}/events`
/// opened before an update is posted, so the signal that reflects it cannot be missed.
public struct HTTPSessionBackend: SessionBackend {
    let client: HTTPClient

    public init(server: URL, token: String?) {
        client = HTTPClient(base: server, token: token)
    }

    public var location: String { client.base.absoluteString }

    public func create(_ request: SolveRequest, body: JSONValue, wait: WaitPlan) async throws -> (SessionID, WaitOutcome?) {
        guard wait.timeout > .zero else {
            let (json, _) = try await client.json("POST", "api/v1/sessions", body: body)
            return (try Self.sessionID(json), nil)
        }
        var id: SessionID?
        let stream = client.stream("POST", "api/v1/solve-stream", query: [("until", "converged")], body: body)
        let outcome = try await EventFollower.follow(stream, wait: wait) { type, record in
            switch type {
            case "session_created":
                id = try Self.sessionID(record)
                return .arm
            case "convergence_signal":
                return .done(.finished(converged: record["converged"] == .bool(true), reason: Self.string(record["reason"])))
            case "session_closed":
                throw WaitEnd.closed(try Self.sessionID(record), reason: Self.string(record["reason"]) ?? "closed",
                                     message: Self.string(record["message"]) ?? "")
            default:
                return .next
            }
        }
        guard let id else { throw SolverError(.internal, "the server's stream ended before session_created", field: nil) }
        return (id, try await settled(id, outcome))
    }

    public func push(_ request: CostUpdateRequest, body: JSONValue, wait: WaitPlan?) async throws -> (UInt64, WaitOutcome?) {
        guard let wait, wait.timeout > .zero else {
            let (json, _) = try await client.json("POST", "api/v1/swarm/costs", body: body)
            return (try Self.number(json, "seq"), nil)
        }
        var seq: UInt64 = 0
        let id = request.sessionID
        let stream = client.stream("GET", "api/v1/sessions/\(id)/events")
        let outcome = try await EventFollower.follow(stream, wait: wait, onOpen: {
            seq = try Self.number(try await client.json("POST", "api/v1/swarm/costs", body: body).0, "seq")
        }) { type, record in
            switch type {
            case "convergence_signal" where (try? Self.number(record, "last_applied_seq")) ?? 0 >= seq:
                return .done(.finished(converged: record["converged"] == .bool(true), reason: Self.string(record["reason"])))
            case "update_rejected" where (try? Self.number(record, "update_seq")) == seq:
                throw HTTPClient.error(record: record["error"] ?? .null, status: 409)
            case "session_closed":
                throw WaitEnd.closed(id, reason: Self.string(record["reason"]) ?? "closed", message: Self.string(record["message"]) ?? "")
            default:
                return .next
            }
        }
        return (seq, try await settled(id, outcome))
    }

    /// A stream that ended without its answer (the server drained or relayed it elsewhere): the status decides.
    private func settled(_ id: SessionID, _ outcome: WaitOutcome?) async throws -> WaitOutcome {
        if let outcome { return outcome }
        let summary = try await status(id)
        guard summary.phase == SessionPhase.converged.rawValue || summary.phase == SessionPhase.stopped.rawValue else {
            throw SolverError(.sessionClosed, "the server's event stream for session \(id) ended (phase \(summary.phase))",
                              field: "session_id")
        }
        return .finished(converged: summary.phase == SessionPhase.converged.rawValue, reason: summary.stopReason)
    }

    public func status(_ id: SessionID) async throws -> SessionSummary {
        let (json, bytes) = try await client.json("GET", "api/v1/sessions/\(id)")
        return try Self.summary(json, bytes: bytes)
    }

    /// Small index lists go in the query; longer ones are picked from the whole vector (URLs stay short).
    public func solution(_ id: SessionID, indices: [Int]?) async throws -> SolutionRead {
        let inQuery = indices.map { $0.count <= 256 } ?? false
        let query = inQuery ? [("indices", indices!.map(String.init).joined(separator: ","))] : []
        let (json, _) = try await client.json("GET", "api/v1/sessions/\(id)/solution", query: query)
        let fields = try JSONFields(json, path: "")
        var read = SolutionRead(
            indices: try fields.ints("indices"), values: try fields.doubles(inQuery ? "values" : "x") ?? [],
            lastAppliedSeq: try fields.uint64("seq") ?? 0, iteration: try fields.int("iteration") ?? 0,
            residualNorm: try fields.double("residual_norm") ?? .nan, relativeResidual: try fields.double("relative_residual") ?? .nan,
            phase: SessionPhase(rawValue: try fields.string("phase") ?? "") ?? .solving)
        if let indices, !inQuery {
            let whole = read.values
            for (k, i) in indices.enumerated() where !whole.indices.contains(i) {
                throw SolverError(.indexOutOfRange, "\(i) is outside 0..<\(whole.count)", field: "indices[\(k)]")
            }
            read.indices = indices
            read.values = indices.map { whole[$0] }
        }
        return read
    }

    public func verify(_ id: SessionID, probeCount: Int?, indices: [Int]?) async throws -> [UInt8] {
        var body: [String: JSONValue] = ["session_id": .string(id.rawValue)]
        if let probeCount { body["probe_count"] = .number(Double(probeCount)) }
        if let indices { body["indices"] = .numbers(indices.map(Double.init)) }
        return try await client.json("POST", "api/v1/verify", body: .object(body)).1
    }

    public func service() async throws -> ServiceSummary {
        let (list, _) = try await client.json("GET", "api/v1/sessions")
        let sessions = try (list["sessions"]?.arrayElements ?? []).map { try Self.summary($0, bytes: nil) }
        let (status, _) = try await client.json("GET", "api/v1/status")
        let fields = try JSONFields(status, path: "")
        return ServiceSummary(sessions: sessions, memoryBytes: try fields.int("memory_bytes") ?? 0,
                              schedulerWidth: try fields.int("scheduler_width") ?? 0)
    }

    public func close(_ id: SessionID) async throws {
        _ = try await client.json("DELETE", "api/v1/sessions/\(id)")
    }

    // MARK: Reading the server's JSON

    static func summary(_ json: JSONValue, bytes: [UInt8]?) throws -> SessionSummary {
        let f = try JSONFields(json, path: "")
        var w = JSONWriter()
        if bytes == nil { w.value(json) }
        return SessionSummary(
            sessionID: try f.string("session_id") ?? "", phase: try f.string("phase") ?? "", rows: try f.int("rows") ?? 0,
            nnz: try f.int("nnz") ?? 0, method: try f.string("method") ?? "", methodReason: try f.string("method_reason") ?? "",
            iteration: try f.int("iteration") ?? 0, relativeResidual: try f.double("relative_residual") ?? .nan,
            tolerance: try f.double("tolerance") ?? .nan, stopReason: try f.string("stop_reason"),
            memoryBytes: try f.int("memory_bytes") ?? 0, json: bytes ?? w.bytes)
    }

    static func sessionID(_ json: JSONValue) throws -> SessionID {
        guard let raw = string(json["session_id"]) else {
            throw SolverError(.internal, "the server's answer names no session_id", field: nil)
        }
        return try SessionID(validating: raw)
    }

    static func number(_ json: JSONValue, _ key: String) throws -> UInt64 {
        guard let value = try JSONFields(json, path: "").uint64(key) else {
            throw SolverError(.internal, "the server's answer has no \(key)", field: nil)
        }
        return value
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value { return s }
        return nil
    }
}

/// Reads a server's NDJSON event stream: progress from `iteration_update` records, an `error` record thrown, each
/// other record handed to `decide`. The deadline (`wait.timeout`) runs from the moment `decide` (or `onOpen`, run
/// once the stream's 2xx head arrived) arms it; when it passes, the stream is cancelled and the wait `timedOut`.
enum EventFollower {
    enum Step {
        case next
        case arm
        case done(WaitOutcome)
    }

    private final class Flag: Sendable {
        let raised = Mutex(false)
    }

    /// Nil when the stream ended without `decide` ending the wait.
    static func follow(_ stream: HTTPLineStream, wait: WaitPlan, onOpen: (() async throws -> Void)? = nil,
                       decide: (String, JSONValue) throws -> Step) async throws -> WaitOutcome? {
        let (frames, frameSink) = AsyncStream.makeStream(of: ProgressFrame.self, bufferingPolicy: .bufferingNewest(1))
        let reporter = wait.progress.map { sink in Task { await WaitEnd.report(frames, to: sink) } }
        let expired = Flag()
        var deadline: Task<Void, Never>?
        func arm() {
            guard deadline == nil else { return }
            deadline = Task { [timeout = wait.timeout] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                expired.raised.withLock { $0 = true }
                stream.cancel()
            }
        }
        defer {
            deadline?.cancel()
            stream.cancel()
            frameSink.finish()
        }
        var status = 0
        var errorBody: [UInt8] = []
        do {
            for try await event in stream.events {
                switch event {
                case .head(let code):
                    status = code
                    if (200..<300).contains(code), let onOpen {
                        try await onOpen()
                        arm()
                    }
                case .line(let bytes) where !(200..<300).contains(status):
                    errorBody += bytes
                case .line(let bytes):
                    guard let record = try? JSONReader.parse(bytes), case .string(let type)? = record["type"] else { continue }
                    if type == "iteration_update", let frame = progressFrame(record) { frameSink.yield(frame) }
                    if type == "error" { throw HTTPClient.error(record: record, status: status) }
                    switch try decide(type, record) {
                    case .next: break
                    case .arm: arm()
                    case .done(let outcome):
                        frameSink.finish()
                        await reporter?.value
                        return outcome
                    }
                }
            }
        } catch where expired.raised.withLock({ $0 }) {}
        frameSink.finish()
        await reporter?.value
        if expired.raised.withLock({ $0 }) { return .timedOut }
        guard (200..<300).contains(status) else { throw HTTPClient.error(status: status, body: errorBody) }
        return nil
    }

    static func progressFrame(_ record: JSONValue) -> ProgressFrame? {
        guard case .number(let iteration)? = record["iteration"], case .number(let residual)? = record["relative_residual"] else {
            return nil
        }
        return ProgressFrame(iteration: Int(iteration), relativeResidual: residual,
                             method: HTTPSessionBackend.string(record["method"]) ?? "")
    }
}
