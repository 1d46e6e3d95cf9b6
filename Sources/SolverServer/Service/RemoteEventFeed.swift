import Dispatch
import SolverWire
import Synchronization

/// A subscription fed by the cluster's feed of a session held on another node. It ends like a local one: after
/// `session_closed`, after the first `convergence_signal` when `untilConverged`, or when the consumer cannot keep
/// up (the feed cannot coalesce, and dropping would leave a gap; the client resumes with `since` instead). Ending
/// cancels the feed, so nothing is left subscribed.
final class RemoteEventFeed: Sendable {
    private let output: EventOutput
    private let state = Mutex<(ended: Bool, cancel: (@Sendable () -> Void)?)>((false, nil))

    init(output: EventOutput) { self.output = output }

    /// Keeps the feed's cancellation; cancels at once if the subscription already ended meanwhile.
    func attach(cancel: @escaping @Sendable () -> Void) {
        let ended = state.withLock { s in
            if !s.ended { s.cancel = cancel }
            return s.ended
        }
        if ended { cancel() }
    }

    /// One event from the feed (in seq order, each once). Only enqueues: the feed calls it under its lock.
    func deliver(seq: UInt64, type: String, json: [UInt8]) {
        guard !state.withLock({ $0.ended }) else { return }
        let frame = output.framing.frame(json: json, type: type, id: seq)
        let last = type == "session_closed" || (output.untilConverged && type == "convergence_signal")
        if last {
            stop()
            // Ended around its last event in the order the client must see (`sendLast`).
            if case .overflow = output.transport.sendLast(frame, reason: type) { end(reason: Self.cannotCoalesce) }
            return
        }
        switch output.transport.send(frame) {
        case .enqueued:
            break
        case .overflow:
            end(reason: Self.cannotCoalesce)
        case .closed:
            stop()
        }
    }

    private static let cannotCoalesce = "slow_consumer: the remote feed cannot coalesce; resume with since"

    /// Cancels the feed; later events are ignored. Idempotent.
    func stop() {
        let cancel = state.withLock { s in
            s.ended = true
            return s.cancel.take()
        }
        // Cancelling inside a delivery would re-enter the feed's lock: leave it to another thread.
        if let cancel { DispatchQueue.global().async { cancel() } }
    }

    private func end(reason: String) {
        stop()
        output.transport.finishAfterSubscriptionEnded(reason: reason)
    }
}
