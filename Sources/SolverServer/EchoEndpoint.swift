/// Test-only composition (`solverd serve --echo-endpoint`): WebSocket upgrades on `path` go to an ``EchoHandler``
/// (every message sent back, for the Autobahn|Testsuite conformance run), everything else to `base`.
/// Connections are routed by ``WebSocketConnection/path``, fixed at the upgrade, so no per-connection state is kept.
public struct EchoEndpoint: TransportHandler {
    public static let defaultPath = "/ws/echo"
    /// Autobahn's case 9.* sends messages up to 16 MiB and expects them echoed whole, so the echo endpoint needs a
    /// message limit at least this large and an outbound queue that holds one such message.
    public static let requiredMessageBytes = 16 * 1024 * 1024

    public let base: any TransportHandler
    public let path: String
    private let echo = EchoHandler()

    public init(base: any TransportHandler, path: String = EchoEndpoint.defaultPath) {
        self.base = base
        self.path = path
    }

    /// Adds the echo path and raises the message and queue limits to what the conformance cases need.
    public func configure(_ transport: inout TransportConfiguration) {
        transport.webSocketPaths.insert(path)
        transport.maxMessageBytes = max(transport.maxMessageBytes, Self.requiredMessageBytes)
        transport.maxQueuedBytesPerConnection = max(transport.maxQueuedBytesPerConnection, 2 * Self.requiredMessageBytes + 1024)
    }

    private func handler(for path: String) -> any TransportHandler { path == self.path ? echo : base }

    public func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        base.handleHTTP(request, responder: responder)
    }

    public func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision {
        handler(for: request.path).webSocketShouldAccept(request)
    }

    public func webSocketDidOpen(_ connection: WebSocketConnection) {
        handler(for: connection.path).webSocketDidOpen(connection)
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        handler(for: connection.path).webSocketDidReceive(connection, text: text)
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8]) {
        handler(for: connection.path).webSocketDidReceive(connection, binary: binary)
    }

    public func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {
        handler(for: connection.path).webSocketDidClose(connection, code: code)
    }

    public func transportWillShutDown() {
        base.transportWillShutDown()
    }
}
