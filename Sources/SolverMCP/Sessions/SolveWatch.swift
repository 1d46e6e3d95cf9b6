import SolverCore
import SolverSession

/// Waits (bounded) for an in-process session's solve to end while reporting progress: the in-process side of
/// `SessionBackend.create` and `push`.
struct SolveWatch {
    let session: Session
    let waiter: ConvergenceWaiter

    init(session: Session) {
        self.session = session
        self.waiter = ConvergenceWaiter(hub: session.hub)
    }

    /// Waits up to `timeout` (nil outcome when `timeout` is zero: the caller asked not to wait), reporting frames
    /// to `progress`. Always unsubscribes. A session that ended meanwhile is a `session_closed` error, a rejected
    /// update its rejection.
    func wait(timeout: Duration, progress: ProgressSink?) async throws -> WaitOutcome? {
        let reporter = progress.map { report in Task { await WaitEnd.report(waiter.frames, to: report) } }
        let outcome = timeout > .zero ? await waiter.wait(timeout: timeout) : nil
        waiter.detach()
        await reporter?.value
        switch outcome {
        case .closed(let reason, let message)?:
            throw WaitEnd.closed(session.id, reason: reason, message: message)
        case .rejected(let error)?:
            throw error
        case .finished(let converged, let reason)?:
            return .finished(converged: converged, reason: reason)
        case .timedOut?:
            return .timedOut
        case nil:
            return nil
        }
    }
}
