import Synchronization

/// One HTTP request/response, shared between the public handles (``HTTPResponder``, ``HTTPStream``; any thread)
/// and the service thread, which is the only one writing its bytes to the socket.
///
/// Invariants: the phase only moves forward (`awaitingResponse → responding|streaming → finished`); bytes enter the
/// queue already framed (head, body, or chunk), so the service thread writes them verbatim; after `gone` nothing is
/// queued and `onClose` has run (or will run as soon as it is set).
final class HTTPExchange: Sendable {
    enum Phase { case awaitingResponse, streaming, finished }

    /// What the service thread should do after copying out a piece.
    enum WriteStep: Equatable {
        /// Write `count` bytes, then: more is queued (ask for another writeable), or the queue is idle.
        case write(count: Int, moreQueued: Bool, isLast: Bool)
        /// Everything is flushed and the connection must close (closeAfter responses).
        case close
        /// Nothing queued.
        case idle
    }

    private struct State: ~Copyable {
        var phase = Phase.awaitingResponse
        var queue = OutboundQueue()
        var closeAfter: Bool
        /// The last byte was handed to lws; a close-after exchange waits for one more writeable (lws flushed).
        var lastWritten = false
        var gone = false
        var onClose: (@Sendable () -> Void)?
    }

    let id: UInt64
    /// HTTP/1.1 request: streams use chunked framing. Otherwise the stream ends by closing the connection.
    let isHTTP11: Bool
    let isHEAD: Bool
    let maxQueuedBytes: Int
    private let waker: TransportWaker
    private let state: Mutex<State>

    init(id: UInt64, isHTTP11: Bool, isHEAD: Bool, maxQueuedBytes: Int, waker: TransportWaker) {
        self.id = id
        self.isHTTP11 = isHTTP11
        self.isHEAD = isHEAD
        self.maxQueuedBytes = maxQueuedBytes
        self.waker = waker
        self.state = Mutex(State(closeAfter: !isHTTP11))
    }

    // MARK: Producer side (any thread)

    /// Queues a complete response. One-shot: false if a response was already started or the client is gone.
    func respond(status: Int, headers: [(String, String)], body: [UInt8], closeAfter: Bool = false) -> Bool {
        let wake: Bool? = state.withLock { state in
            guard state.phase == .awaitingResponse, !state.gone else { return nil }
            state.phase = .finished
            state.closeAfter = state.closeAfter || closeAfter
            let head = HTTPResponseHead.serialize(
                status: status, headers: headers, framing: .contentLength(body.count), closeConnection: state.closeAfter)
            state.queue.append(head, kind: .raw)
            if !isHEAD { state.queue.append(body, kind: .raw) }
            return state.queue.claimWakeup()
        }
        if wake == true { waker.wake(id) }
        return wake != nil
    }

    /// Queues the interim `100 Continue` a client sent `Expect: 100-continue` waits for before sending its body. The
    /// phase does not move: the real response follows.
    func sendInterimContinue() {
        let wake: Bool = state.withLock { state in
            guard state.phase == .awaitingResponse, !state.gone, state.queue.isEmpty else { return false }
            state.queue.append(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), kind: .raw)
            return state.queue.claimWakeup()
        }
        if wake { waker.wake(id) }
    }

    /// Queues a streaming response head. One-shot like `respond`.
    func startStream(status: Int, headers: [(String, String)]) -> Bool {
        let wake: Bool? = state.withLock { state in
            guard state.phase == .awaitingResponse, !state.gone else { return nil }
            state.phase = .streaming
            let framing: HTTPResponseHead.Framing = isHTTP11 ? .chunked : .untilClose
            let head = HTTPResponseHead.serialize(
                status: status, headers: headers, framing: framing, closeConnection: state.closeAfter)
            state.queue.append(head, kind: .raw)
            return state.queue.claimWakeup()
        }
        if wake == true { waker.wake(id) }
        return wake != nil
    }

    func send(_ bytes: [UInt8]) -> SendResult {
        guard !bytes.isEmpty else { return .enqueued }
        let framed = isHTTP11 ? HTTPResponseHead.chunk(bytes) : bytes
        let (result, wake): (SendResult, Bool) = state.withLock { state in
            guard state.phase == .streaming, !state.gone else { return (.closed, false) }
            if let refusal = state.queue.admissionResult(adding: framed.count, limit: maxQueuedBytes) {
                return (refusal, false)
            }
            if !isHEAD { state.queue.append(framed, kind: .raw) }
            return (.enqueued, state.queue.claimWakeup())
        }
        if wake { waker.wake(id) }
        return result
    }

    /// Ends a stream (terminating chunk). Idempotent.
    func finish() {
        let wake: Bool = state.withLock { state in
            guard state.phase == .streaming, !state.gone else { return false }
            state.phase = .finished
            if isHTTP11 && !isHEAD { state.queue.append(HTTPResponseHead.lastChunk, kind: .raw) }
            return state.queue.claimWakeup()
        }
        if wake { waker.wake(id) }
    }

    var queuedBytes: Int { state.withLock { $0.queue.queuedBytes } }

    /// Registers the client-went-away callback; runs at once (on the caller's thread) if it already went away.
    func setOnClose(_ callback: @escaping @Sendable () -> Void) {
        let runNow: Bool = state.withLock { state in
            if state.gone { return true }
            state.onClose = callback
            return false
        }
        if runNow { callback() }
    }

    // MARK: Service-thread side

    /// Copies the next piece into `buffer` and says what to do with it.
    func takeWrite(into buffer: UnsafeMutableRawBufferPointer) -> WriteStep {
        state.withLock { state in
            if state.lastWritten { return state.closeAfter ? .close : .idle }
            guard let piece = state.queue.takePiece(into: buffer) else {
                state.queue.unschedule()
                // A stream without chunked framing ends by closing: finish() queued nothing.
                if state.phase == .finished && state.closeAfter { state.lastWritten = true; return .close }
                return .idle
            }
            let drained = state.queue.isEmpty
            let isLast = drained && state.phase == .finished
            if isLast { state.lastWritten = true }
            if drained && !isLast { state.queue.unschedule() }
            return .write(count: piece.count, moreQueued: !drained || (isLast && state.closeAfter), isLast: isLast)
        }
    }

    /// Service thread: the connection must close once this response is out (413, draining, HTTP/1.0 stream).
    func requireCloseAfter() {
        state.withLock { $0.closeAfter = true }
    }

    var closesAfterResponse: Bool { state.withLock { $0.closeAfter } }

    var phase: Phase { state.withLock { $0.phase } }

    /// Service thread: the socket closed. Runs `onClose` if the response had not been completely written.
    func markGone() {
        let callback: (@Sendable () -> Void)? = state.withLock { state in
            guard !state.gone else { return nil }
            state.gone = true
            state.queue.removeAll()
            defer { state.onClose = nil }
            return state.lastWritten ? nil : state.onClose
        }
        callback?()
    }
}
