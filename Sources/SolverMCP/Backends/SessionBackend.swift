import SolverCore
import SolverSession
import SolverWire

/// Where the MCP tools' live sessions are: this process's `SessionRegistry` (`InProcessBackend`: `solverd mcp`,
/// and `/mcp` inside `solverd serve`) or a running server reached over its HTTP API (`HTTPSessionBackend`:
/// `solverd mcp --server URL`). Tools decode and validate their arguments before calling here, so a bad argument
/// is the same tool error with either backend; results come back in the wire format both share.
public protocol SessionBackend: Sendable {
    /// `in_process`, or the server's URL; reported by `solver_status`.
    var location: String { get }
    /// Creates the session `request` describes (`body` is the same request as JSON, for a remote server) and, when
    /// `wait.timeout` > 0, waits for its first solve to end.
    func create(_ request: SolveRequest, body: JSONValue, wait: WaitPlan) async throws -> (SessionID, WaitOutcome?)
    /// Queues an update; with `wait`, waits for the solve that reflects it. Returns the update's seq.
    func push(_ request: CostUpdateRequest, body: JSONValue, wait: WaitPlan?) async throws -> (UInt64, WaitOutcome?)
    func status(_ id: SessionID) async throws -> SessionSummary
    func solution(_ id: SessionID, indices: [Int]?) async throws -> SolutionRead
    /// The `verification_result` JSON.
    func verify(_ id: SessionID, probeCount: Int?, indices: [Int]?) async throws -> [UInt8]
    func service() async throws -> ServiceSummary
    func close(_ id: SessionID) async throws
}

/// How long a tool waits for a solve (zero: not at all) and where progress goes.
public struct WaitPlan: Sendable {
    public var timeout: Duration
    public var progress: ProgressSink?
}

/// How a wait ended. A session that ended or an update that was rejected is thrown instead (`checked`).
public enum WaitOutcome: Sendable, Equatable {
    /// The solve ended: converged, or stopped with a reason (max_iterations, diverged, …).
    case finished(converged: Bool, reason: String?)
    case timedOut
}

/// One iteration, for progress notifications.
struct ProgressFrame: Sendable {
    var iteration: Int
    var relativeResidual: Double
    var method: String
}

/// What the tools show of a session's status; `json` is its whole `session_status`.
public struct SessionSummary: Sendable {
    public var sessionID: String
    public var phase: String
    public var rows: Int
    public var nnz: Int
    public var method: String
    public var methodReason: String
    public var iteration: Int
    public var relativeResidual: Double
    public var tolerance: Double
    public var stopReason: String?
    public var memoryBytes: Int
    public var json: [UInt8]
}

public struct ServiceSummary: Sendable {
    public var sessions: [SessionSummary]
    public var memoryBytes: Int
    public var schedulerWidth: Int
}

/// Waits that ended with the session or with the update refused become the errors the tools report.
enum WaitEnd {
    static func closed(_ id: SessionID, reason: String, message: String) -> SolverError {
        SolverError(.sessionClosed, "session \(id) ended (\(reason)): \(message)", field: "session_id")
    }

    /// Reports frames to `sink`, at most every `interval`, until the stream ends.
    static func report(_ frames: AsyncStream<ProgressFrame>, to sink: ProgressSink,
                       interval: Duration = .milliseconds(50)) async {
        var last: ContinuousClock.Instant?
        for await frame in frames {
            let now = ContinuousClock.now
            if let last, now - last < interval { continue }
            last = now
            await sink(Double(frame.iteration),
                       "iteration \(frame.iteration): relative residual \(frame.relativeResidual) (\(frame.method))")
        }
    }
}

/// The members every solve-shaped result shares (`sublinear_solver_stream`, `solve`, a waited push), from a read
/// made after the wait (consistent with `x`) and the status.
struct SolveState {
    let summary: SessionSummary
    let read: SolutionRead
    let outcome: WaitOutcome?
    let started: ContinuousClock.Instant

    func write(_ w: inout JSONWriter) {
        w.field("session_id", summary.sessionID)
        w.field("method", summary.method)
        w.field("method_reason", summary.methodReason)
        w.field("phase", read.phase.rawValue)
        w.field("converged", read.phase == .converged)
        w.field("iterations", read.iteration)
        w.field("residual_norm", read.residualNorm)
        w.field("relative_residual", read.relativeResidual)
        w.field("tolerance", summary.tolerance)
        w.field("last_applied_seq", read.lastAppliedSeq)
        w.field("rows", summary.rows)
        w.field("nnz", summary.nnz)
        w.field("waited", outcome != nil)
        w.field("timed_out", outcome == .timedOut)
        w.field("elapsed_ms", (ContinuousClock.now - started).seconds * 1000)
        if read.phase == .stopped { w.field("stop_reason", summary.stopReason) }
    }
}
