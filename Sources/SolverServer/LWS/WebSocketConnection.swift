import Dispatch
import SolverSession
import Synchronization

/// A thread-safe handle to one open WebSocket. `send` and `close` work from any thread; frames are written in
/// order by the service thread. The outbox is bounded by `maxQueuedBytesPerConnection`: when a consumer is slow,
/// `send` returns `.overflow` and queues nothing, so the upper layer can drop it with `close(_:discardingQueued:)`.
///
/// Invariants: after a close was requested nothing more is queued; the service thread writes queued frames first,
/// then the close frame (unless `discardingQueued`). A close that discards the queue (dropping a slow consumer) is
/// shown to the service thread at once, even while the socket is not writable, so it can abort a stalled peer.
public final class WebSocketConnection: Sendable, Hashable, CustomStringConvertible {
    /// Unique for the life of the transport.
    public let id: UInt64
    public let remoteAddress: String
    public let path: String
    /// The negotiated subprotocol, if the client offered one the server lists.
    public let subprotocol: String?
    public let maxQueuedBytes: Int
    /// The upgrade request's headers and query (credentials are read from here by the upper layer).
    public let upgradeHeaders: HTTPHeaders
    public let upgradeQuery: [(name: String, value: String)]

    /// What the service thread should do next.
    enum WriteStep: Equatable {
        case frame(count: Int, isText: Bool, isStart: Bool, isEnd: Bool, moreQueued: Bool)
        /// `count` bytes of complete, already framed WebSocket frames (``OutboundQueue/takeFrames(into:)``).
        case frames(count: Int, moreQueued: Bool)
        case close(code: WebSocketCloseCode, reason: [UInt8])
        case idle
    }

    private struct State: ~Copyable {
        var queue = OutboundQueue()
        var closeRequest: (code: WebSocketCloseCode, reason: [UInt8])?
        /// A drop (close discarding the queue) the service thread has not judged yet.
        var dropPending = false
        var closed = false
    }

    /// Also the connection's delivery barrier (`afterNextDrain`), shared by every connection of the transport.
    let waker: TransportWaker
    /// Where event frames' time from queued to handed to the socket is recorded (the `transport` stage), if anywhere.
    let latencyStages: LatencyStages?
    private let state = Mutex(State())

    init(
        id: UInt64, remoteAddress: String, path: String, subprotocol: String?, maxQueuedBytes: Int,
        waker: TransportWaker, upgradeHeaders: HTTPHeaders = .init(), upgradeQuery: [(name: String, value: String)] = [],
        latencyStages: LatencyStages? = nil
    ) {
        self.latencyStages = latencyStages
        self.upgradeHeaders = upgradeHeaders
        self.upgradeQuery = upgradeQuery
        self.id = id
        self.remoteAddress = remoteAddress
        self.path = path
        self.subprotocol = subprotocol
        self.maxQueuedBytes = maxQueuedBytes
        self.waker = waker
    }

    /// Queues one text message.
    @discardableResult
    public func send(text: String) -> SendResult { enqueue(Array(text.utf8), kind: .text) }

    /// Queues one text message given as UTF-8 bytes (the caller guarantees valid UTF-8, e.g. encoder output),
    /// saving the String round trip on hot paths.
    @discardableResult
    public func send(utf8Text bytes: [UInt8]) -> SendResult { enqueue(bytes, kind: .text) }

    /// Queues one event message (valid UTF-8, like `send(utf8Text:)`) unless `limit` bytes or more already wait,
    /// which reports `.overflow` and queues nothing: events stop well before the connection's own bound, leaving
    /// the rest to replies. One lock for the check and the append. With a `batch`, the wake-up (if this send owes
    /// one) is left to it, so a publication to many connections wakes the service thread once.
    func send(eventText bytes: [UInt8], whileQueuedBelow limit: Int, batch: DeliveryBatch?) -> SendResult {
        enqueue(bytes, kind: .text, eventLimit: limit, batch: batch)
    }

    /// Queues one binary message.
    @discardableResult
    public func send(binary: [UInt8]) -> SendResult { enqueue(binary, kind: .binary) }

    /// Starts the close handshake for `reason` (its close code and text). Queued messages are written first unless
    /// `discardingQueued` is true (use it to drop a slow consumer). Idempotent: the first call wins.
    ///
    /// A consumer dropped with `discardingQueued` gets the close frame if it is still reading. If it is not (the
    /// kernel still holds more for it than a reading peer takes at once, or lws holds part of a frame), the close
    /// frame would only queue behind that data, so the TCP connection is aborted instead: the peer sees a reset at
    /// once, and reports 1006 (RFC 6455 §7.1.7 lets an endpoint omit the Close frame when the other side is unlikely
    /// to receive it, which is why it is being dropped).
    public func close(_ reason: WebSocketCloseReason, discardingQueued: Bool = false) {
        close(code: reason.code, reason: reason.text, discardingQueued: discardingQueued)
    }

    /// The primitive behind `close(_:discardingQueued:)`: any code and text (truncated to 123 UTF-8 bytes). Internal, so
    /// that outside the transport every close names a ``WebSocketCloseReason``.
    func close(code: WebSocketCloseCode = .normal, reason: String = "", discardingQueued: Bool = false) {
        let wake: Bool = state.withLock { state in
            guard !state.closed, state.closeRequest == nil else { return false }
            state.closeRequest = (code, Self.truncatedReason(reason))
            guard discardingQueued else { return state.queue.claimWakeup() }
            state.queue.removeAll()
            state.dropPending = true
            // Even when a writeable callback is already pending: for a stalled peer it would never come.
            _ = state.queue.claimWakeup()
            return true
        }
        if wake { waker.wake(id) }
    }

    /// A close was requested (its frame may still wait behind queued messages) or the connection is gone.
    var closeRequested: Bool { state.withLock { $0.closed || $0.closeRequest != nil } }

    /// Bytes accepted but not yet handed to the socket.
    public var queuedBytes: Int { state.withLock { $0.queue.queuedBytes } }

    /// False once a close was requested or the connection is gone.
    public var isOpen: Bool { state.withLock { !$0.closed && $0.closeRequest == nil } }

    public var description: String { "WebSocketConnection(\(id), \(remoteAddress), \(path))" }

    public static func == (lhs: WebSocketConnection, rhs: WebSocketConnection) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    private func enqueue(
        _ bytes: [UInt8], kind: OutboundQueue.Kind, eventLimit: Int? = nil, batch: DeliveryBatch? = nil
    ) -> SendResult {
        let (result, wake): (SendResult, Bool) = state.withLock { state in
            guard !state.closed, state.closeRequest == nil else { return (.closed, false) }
            if let eventLimit, state.queue.queuedBytes >= eventLimit {
                return (.overflow(queuedBytes: state.queue.queuedBytes), false)
            }
            if let refusal = state.queue.admissionResult(adding: bytes.count, limit: maxQueuedBytes) {
                return (refusal, false)
            }
            // Event frames are timed from here to the socket when someone records it.
            let queuedAt = eventLimit != nil && latencyStages != nil ? DispatchTime.now().uptimeNanoseconds : 0
            state.queue.append(bytes, kind: kind, queuedAt: queuedAt)
            return (.enqueued, state.queue.claimWakeup())
        }
        if wake {
            if let batch { batch.add(id, to: waker) } else { waker.wake(id) }
        }
        return result
    }

    static func truncatedReason(_ reason: String) -> [UInt8] {
        var bytes = Array(reason.utf8)
        guard bytes.count > 123 else { return bytes }
        bytes.removeLast(bytes.count - 123)
        // Never cut inside a UTF-8 sequence: drop trailing continuation bytes and their lead byte.
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        return bytes
    }

    // MARK: Service-thread side

    /// One payload piece for lws to frame (and compress, with permessage-deflate), or the close.
    func takeWrite(into buffer: UnsafeMutableRawBufferPointer) -> WriteStep {
        var finished: UInt64 = 0
        defer { if finished != 0 { recordTransport([finished]) } }
        return state.withLock { state in
            guard !state.closed else { return .idle }
            if let piece = state.queue.takePiece(into: buffer) {
                if piece.isEnd { finished = piece.queuedAt }
                let more = Self.hasMore(&state)
                return .frame(
                    count: piece.count, isText: piece.kind == .text, isStart: piece.isStart, isEnd: piece.isEnd,
                    moreQueued: more)
            }
            return Self.closeOrIdle(&state)
        }
    }

    /// As many queued messages as fit in `buffer`, framed here, for one raw write; or the close once none is left.
    /// With `closing: false` (a write outside the writeable callback, which alone may send the close) a pending
    /// close is reported as `.close` but not taken, and the connection stays scheduled for the callback.
    func takeFrames(into buffer: UnsafeMutableRawBufferPointer, closing: Bool = true) -> WriteStep {
        var finished: [UInt64] = []
        defer { if !finished.isEmpty { recordTransport(finished) } }
        return state.withLock { state in
            guard !state.closed else { return .idle }
            guard state.queue.isEmpty else {
                let count = state.queue.takeFrames(into: buffer, finished: &finished)
                return .frames(count: count, moreQueued: Self.hasMore(&state))
            }
            if !closing, let request = state.closeRequest { return .close(code: request.code, reason: request.reason) }
            return Self.closeOrIdle(&state)
        }
    }

    /// Records the `transport` stage of event frames just handed out for writing (outside the connection's lock).
    private func recordTransport(_ queuedAt: [UInt64]) {
        guard let latencyStages else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        for start in queuedAt { latencyStages.record(.transport, from: start, to: now) }
    }

    /// After a take: whether another writeable callback is needed. Clearing the schedule here (under the lock) is
    /// what lets the next `send` wake the service thread again.
    private static func hasMore(_ state: inout State) -> Bool {
        let more = !state.queue.isEmpty || state.closeRequest != nil
        if !more { state.queue.unschedule() }
        return more
    }

    private static func closeOrIdle(_ state: inout State) -> WriteStep {
        if let request = state.closeRequest {
            state.closed = true
            return .close(code: request.code, reason: request.reason)
        }
        state.queue.unschedule()
        return .idle
    }

    /// Service thread: the close code of a drop not judged yet (see `close(_:discardingQueued:)`); each drop
    /// is reported once.
    func takePendingDrop() -> WebSocketCloseCode? {
        state.withLock { state in
            guard state.dropPending, !state.closed, let request = state.closeRequest else { return nil }
            state.dropPending = false
            return request.code
        }
    }

    /// Service thread: the socket is gone; later sends report `.closed`.
    func markClosed() {
        state.withLock { state in
            state.closed = true
            state.queue.removeAll()
        }
    }
}
