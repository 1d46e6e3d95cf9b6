/// Answers one ``HTTPRequest``. Thread-safe and one-shot: the first `respond` or `startStream` wins, later calls
/// return false / nil. May be used from any thread, at any later time; if the client has gone, calls are no-ops.
public struct HTTPResponder: Sendable {
    let exchange: HTTPExchange

    /// Sends a complete response with `content-length`. Framing headers in `headers` are ignored.
    @discardableResult
    public func respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) -> Bool {
        exchange.respond(status: status, headers: headers, body: body)
    }

    /// Convenience: a UTF-8 body.
    @discardableResult
    public func respond(status: Int, headers: [(String, String)] = [], body: String) -> Bool {
        exchange.respond(status: status, headers: headers, body: Array(body.utf8))
    }

    /// Starts a streamed response (HTTP/1.1 chunked; HTTP/1.0 clients get the body until the connection closes).
    /// Returns nil if a response was already started or the client is gone.
    public func startStream(status: Int, headers: [(String, String)] = []) -> HTTPStream? {
        exchange.startStream(status: status, headers: headers) ? HTTPStream(exchange: exchange) : nil
    }

    /// Called once, on the service thread, if the client disconnects before the response was completely written
    /// (immediately on the caller's thread if it already has). Must not block.
    public func onClose(_ callback: @escaping @Sendable () -> Void) {
        exchange.setOnClose(callback)
    }
}
