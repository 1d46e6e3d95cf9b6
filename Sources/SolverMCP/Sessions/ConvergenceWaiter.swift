import Dispatch
import SolverCore
import SolverSession
import Synchronization

/// Waits, as a subscriber of a session's events, for the current solve to end: the first `convergence_signal`
/// that reflects a given update (or any, for a fresh session), an `update_rejected` for that update, or the end of
/// the session. Frames seen meanwhile are offered to `frames` (newest only) for progress reports.
///
/// `offer` runs under the session's event lock: it only records and resumes, never calls back into the session.
final class ConvergenceWaiter: SessionEventSink, @unchecked Sendable {
    enum Outcome: Sendable, Equatable {
        /// The solve ended: converged, or stopped with a reason (max_iterations, diverged, …).
        case finished(converged: Bool, reason: String?)
        /// The awaited update was refused when applied (an `old_value` mismatch); nothing of it was applied.
        case rejected(SolverError)
        case closed(reason: String, message: String)
        case timedOut
    }

    private struct State {
        /// Signals whose `last_applied_seq` is below this belong to an earlier solve.
        var minimumAppliedSeq: UInt64 = 0
        var awaitedUpdate: UInt64?
        var outcome: Outcome?
        var continuation: CheckedContinuation<Outcome, Never>?
        var subscription: SubscriptionID?
    }

    private let state = Mutex(State())
    private let hub: EventHub
    let frames: AsyncStream<ProgressFrame>
    private let frameSink: AsyncStream<ProgressFrame>.Continuation

    init(hub: EventHub) {
        self.hub = hub
        (frames, frameSink) = AsyncStream.makeStream(of: ProgressFrame.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Only a signal that reflects update `seq` ends the wait; a rejection of `seq` ends it too. Call it before the
    /// update can be applied (from `Session.submit`'s `acknowledge`).
    func expect(update seq: UInt64) {
        state.withLock { s in
            s.minimumAppliedSeq = seq
            s.awaitedUpdate = seq
        }
    }

    /// Subscribes; `replayFromStart` also replays the retained events, so a fresh session that already converged
    /// is seen. When the events were already evicted, `status` decides: a session no longer solving is finished.
    func attach(replayFromStart: Bool, status: () -> SessionStatus) throws {
        let id: SubscriptionID
        do {
            id = try hub.subscribe(self, since: replayFromStart ? 0 : nil)
        } catch EventHub.SubscribeError.gap {
            id = try subscribeLive()
            let current = status()
            if current.phase == .converged || current.phase == .stopped {
                finish(.finished(converged: current.phase == .converged, reason: current.stopReason))
            }
        } catch EventHub.SubscribeError.closed {
            throw SolverError(.sessionClosed, "session \(hub.sessionID) has ended", field: "session_id")
        }
        state.withLock { $0.subscription = id }
    }

    private func subscribeLive() throws -> SubscriptionID {
        do {
            return try hub.subscribe(self, since: nil)
        } catch {
            throw SolverError(.sessionClosed, "session \(hub.sessionID) has ended", field: "session_id")
        }
    }

    /// Waits at most `timeout` for the outcome.
    func wait(timeout: Duration) async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready: Outcome? = state.withLock { s in
                if let outcome = s.outcome { return outcome }
                s.continuation = continuation
                return nil
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds))) { [self] in
                finish(.timedOut)
            }
        }
    }

    /// Unsubscribes and ends `frames`. Idempotent.
    func detach() {
        if let id = state.withLock({ $0.subscription.take() }) { hub.unsubscribe(id) }
        frameSink.finish()
    }

    // MARK: SessionEventSink

    func offer(_ event: SessionEvent) -> Bool {
        switch event.body {
        case .iterationUpdate(let frame):
            frameSink.yield(ProgressFrame(iteration: frame.iteration, relativeResidual: frame.relativeResidual, method: frame.method))
        case .convergenceSignal(let signal):
            let current = state.withLock { signal.lastAppliedSeq >= $0.minimumAppliedSeq }
            if current { finish(.finished(converged: signal.converged, reason: signal.reason)) }
        case .updateRejected(let rejection):
            let awaited = state.withLock { $0.awaitedUpdate == rejection.updateSeq }
            if awaited { finish(.rejected(rejection.error)) }
        case .sessionClosed(let closed):
            finish(.closed(reason: closed.reason, message: closed.message))
        case .verificationResult, .correctionApplied, .costsAggregated:
            break
        }
        return true
    }

    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {
        finish(.closed(reason: reason, message: message))
    }

    private func finish(_ outcome: Outcome) {
        let continuation: CheckedContinuation<Outcome, Never>? = state.withLock { s in
            guard s.outcome == nil else { return nil }
            s.outcome = outcome
            return s.continuation.take()
        }
        continuation?.resume(returning: outcome)
    }
}
