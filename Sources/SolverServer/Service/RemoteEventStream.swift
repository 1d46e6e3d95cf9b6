import SolverWire
import Synchronization

/// An NDJSON/SSE response fed by the cluster's feed of a session held on another node. It ends like a local
/// stream: after `session_closed`, after the first `convergence_signal` when `untilConverged`, when the client
/// leaves, or when the client cannot keep up (the feed cannot coalesce, and dropping would leave a gap; the client
/// resumes with `Last-Event-ID`/`since` instead). Ending cancels the feed, so nothing is left subscribed.
final class RemoteEventStream: Sendable {
    private let stream: HTTPStream
    private let framing: EventFraming
    private let untilConverged: Bool
    /// Takes the stream out of the registry (which calls `stop`) and finishes the response.
    private let end: @Sendable () -> Void
    private let state = Mutex<(ended: Bool, cancel: (@Sendable () -> Void)?)>((false, nil))

    init(stream: HTTPStream, framing: EventFraming, untilConverged: Bool, end: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.framing = framing
        self.untilConverged = untilConverged
        self.end = end
    }

    /// Keeps the feed's cancellation; cancels at once if the stream already ended meanwhile.
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
        switch stream.send(framing.frame(json: json, type: type, id: seq)) {
        case .enqueued:
            if type == "session_closed" || (untilConverged && type == "convergence_signal") { end() }
        case .overflow, .closed:
            end()
        }
    }

    /// Cancels the feed; later events are ignored. Idempotent.
    func stop() {
        let cancel = state.withLock { s in
            s.ended = true
            return s.cancel.take()
        }
        cancel?()
    }
}
