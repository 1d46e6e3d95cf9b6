/// One complete HTTP request as the handler sees it: head plus the whole body (bounded by `maxBodyBytes`).
public struct HTTPRequest: Sendable {
    /// Upper-case method: GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD.
    public var method: String
    /// URL-decoded path without the query, always starting with `/`.
    public var path: String
    /// Query parameters in order, URL-decoded by lws (`?a=1&b` gives `[("a","1"), ("b","")]`).
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    /// Peer IP address as text.
    public var remoteAddress: String
    /// True for HTTP/1.1 (chunked streaming and keep-alive available); false for HTTP/1.0.
    public var isHTTP11: Bool
    public var body: [UInt8]

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = .init(),
        remoteAddress: String = "", isHTTP11: Bool = true, body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.isHTTP11 = isHTTP11
        self.body = body
    }

    /// The first query value named `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}

/// What the handler learns about a WebSocket upgrade before deciding.
public struct WebSocketUpgradeRequest: Sendable {
    public var path: String
    public var query: [(name: String, value: String)]
    /// Includes `authorization`, `origin` and `sec-websocket-protocol`.
    public var headers: HTTPHeaders
    public var remoteAddress: String

    /// The subprotocols the client offered, in its order.
    public var requestedSubprotocols: [String] {
        (headers["sec-websocket-protocol"] ?? "")
            .split(separator: ",")
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
    }
}

/// The handler's answer to ``WebSocketUpgradeRequest``.
public enum WebSocketUpgradeDecision: Sendable {
    /// Complete the handshake. lws selects the first offered subprotocol listed in `webSocketSubprotocols`.
    case accept
    /// Answer with a real HTTP response (e.g. 401, 403) instead of upgrading, sent as given. For an error in the
    /// API's envelope with its registry status use ``reject(_:headers:)``.
    case reject(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
