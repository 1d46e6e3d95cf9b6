import SolverCore
import SolverSession
import SolverWire

/// Waits (bounded) for a session's solve to end while reporting progress, then describes where it stands.
/// Shared by the tools that start a solve (`sublinear_solver_stream`) and re-start one (`solver_push_costs`).
struct SolveWatch {
    /// Progress notifications are at most this frequent.
    static let progressInterval: Duration = .milliseconds(50)

    let session: Session
    let waiter: ConvergenceWaiter
    let started = ContinuousClock.now

    init(session: Session) {
        self.session = session
        self.waiter = ConvergenceWaiter(hub: session.hub)
    }

    /// Waits up to `timeout` (nil outcome when `timeout` is zero: the caller asked not to wait), reporting frames
    /// to `progress`. Always unsubscribes. A session that ended meanwhile is a `session_closed` error.
    func wait(timeout: Duration, progress: ProgressSink?) async throws -> ConvergenceWaiter.Outcome? {
        let reporter = progress.map { report in Task { await Self.report(waiter.frames, to: report) } }
        let outcome = timeout > .zero ? await waiter.wait(timeout: timeout) : nil
        waiter.detach()
        await reporter?.value
        switch outcome {
        case .closed(let reason, let message)?:
            throw SolverError(.sessionClosed, "session \(session.id) ended (\(reason)): \(message)", field: "session_id")
        case .rejected(let error)?:
            throw error
        default:
            return outcome
        }
    }

    private static func report(_ frames: AsyncStream<IterationUpdate>, to sink: ProgressSink) async {
        var last: ContinuousClock.Instant?
        for await frame in frames {
            let now = ContinuousClock.now
            if let last, now - last < progressInterval { continue }
            last = now
            await sink(Double(frame.iteration),
                       "iteration \(frame.iteration): relative residual \(frame.relativeResidual) (\(frame.method))")
        }
    }

    /// The members every solve-shaped result shares, from a read made after the wait (consistent with `x`).
    func writeState(_ w: inout JSONWriter, read: SolutionRead, outcome: ConvergenceWaiter.Outcome?) {
        let status = session.status
        let elapsed = ContinuousClock.now - started
        w.field("session_id", session.id.rawValue)
        w.field("method", status.method)
        w.field("method_reason", status.methodReason)
        w.field("phase", read.phase.rawValue)
        w.field("converged", read.phase == .converged)
        w.field("iterations", read.iteration)
        w.field("residual_norm", read.residualNorm)
        w.field("relative_residual", read.relativeResidual)
        w.field("tolerance", status.tolerance)
        w.field("last_applied_seq", read.lastAppliedSeq)
        w.field("rows", status.rows)
        w.field("nnz", status.nnz)
        w.field("waited", outcome != nil)
        w.field("timed_out", outcome == .timedOut)
        w.field("elapsed_ms", Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        if read.phase == .stopped { w.field("stop_reason", status.stopReason) }
    }
}
