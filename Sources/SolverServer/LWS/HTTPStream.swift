/// The body of a streamed HTTP response (NDJSON, SSE). Thread-safe: `send` and `finish` work from any thread.
/// Each `send` becomes one chunk, written as soon as the socket takes it. The outbox is bounded by
/// `maxQueuedBytesPerConnection`: a slow reader makes `send` return `.overflow` so callers can coalesce or drop.
public struct HTTPStream: Sendable {
    let exchange: HTTPExchange

    /// Queues one chunk. Empty input is a no-op.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> SendResult { exchange.send(bytes) }

    @discardableResult
    public func send(_ text: String) -> SendResult { exchange.send(Array(text.utf8)) }

    /// Ends the body after everything queued. Idempotent.
    public func finish() { exchange.finish() }

    /// Bytes accepted but not yet handed to the socket.
    public var queuedBytes: Int { exchange.queuedBytes }

    /// Called once, on the service thread, if the client disconnects before `finish()` was flushed. Must not block.
    public func onClose(_ callback: @escaping @Sendable () -> Void) { exchange.setOnClose(callback) }
}
