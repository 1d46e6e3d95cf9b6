/// What the upper layer (routes, sessions) implements. Every method is called on the lws service thread and must
/// return quickly without blocking: hand work to your own queue and answer later through the thread-safe handles
/// (``HTTPResponder``, ``HTTPStream``, ``WebSocketConnection``).
public protocol TransportHandler: Sendable {
    /// A complete HTTP request (body included). Answer through `responder`, now or later, from any thread.
    func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder)

    /// A WebSocket upgrade on one of `webSocketPaths`. Decide synchronously; `.reject` sends a real HTTP status.
    func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision

    func webSocketDidOpen(_ connection: WebSocketConnection)

    /// One complete, valid UTF-8 text message (fragments reassembled, at most `maxMessageBytes`).
    func webSocketDidReceive(_ connection: WebSocketConnection, text: String)

    /// One complete binary message. The default closes the connection with 1003 (unsupported data).
    func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8])

    /// The connection is gone. `code` is the peer's close code, the one we sent, or 1006 for a dropped socket.
    func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode)

    /// Graceful shutdown began: new requests get 503. Queue final frames now; afterwards every WebSocket is closed
    /// with 1001 (after what is queued) and unfinished streams are finished. Default: nothing.
    func transportWillShutDown()
}

extension TransportHandler {
    public func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8]) {
        connection.close(.binaryMessage)
    }

    public func transportWillShutDown() {}
}
