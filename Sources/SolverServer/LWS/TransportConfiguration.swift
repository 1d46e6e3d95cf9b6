import SolverSession

/// How the transport listens and what it tolerates. A plain value: build it, hand it to ``TransportServer``.
public struct TransportConfiguration: Sendable {
    /// Address to bind (an IPv4/IPv6 literal or an interface name). Default: loopback only.
    public var host: String = "127.0.0.1"
    /// TCP port; `0` picks an ephemeral port, read back from ``TransportServer/port`` after `start()`.
    public var port: Int = 0
    /// Largest accepted HTTP request body; a larger one is answered `413 payload_too_large` and the connection closed
    /// (a chunked body as soon as its decoded bytes pass the limit).
    public var maxBodyBytes: Int = 50 * 1024 * 1024
    /// Largest reassembled WebSocket message; a larger one closes the connection with 1009.
    public var maxMessageBytes: Int = 16 * 1024 * 1024
    /// Outbound bytes a single connection (WebSocket or HTTP stream) may have queued before sends report overflow.
    public var maxQueuedBytesPerConnection: Int = 8 * 1024 * 1024
    /// Where event frames' time from queued on a connection to handed to its socket is recorded (the `transport`
    /// latency stage); nil records nothing.
    public var latencyStages: LatencyStages?
    /// Paths on which a WebSocket upgrade is considered; an upgrade elsewhere is answered 404.
    public var webSocketPaths: Set<String> = ["/ws/solver"]
    /// Subprotocol names the server can select (`Sec-WebSocket-Protocol`). Clients naming none of them are answered 400.
    public var webSocketSubprotocols: [String] = []
    /// The server pings each WebSocket this often and closes it when no pong came back within another interval.
    public var pingInterval: Duration = .seconds(15)
    /// Idle HTTP/1.1 keep-alive connections are closed after this long.
    public var keepAlive: Duration = .seconds(60)
    /// PEM certificate and key; both set means TLS (HTTP/1.1 only, no h2).
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?
    /// Negotiate RFC 7692 permessage-deflate with WebSocket clients that offer it.
    public var permessageDeflate: Bool = true
    /// Most bytes written per writeable callback: a piece of a large body or message, or a batch of whole
    /// WebSocket frames (several small messages in one `lws_write`).
    public var writeChunkBytes: Int = 64 * 1024
    /// lws service threads, each with its own context. With more than one the server listens itself
    /// (``ServerListener``): the first thread accepts and deals connections out in turn, and a connection stays on
    /// the thread it was dealt to; a publication to subscribers on several threads is written by all of them at once.
    /// One thread writes 100 subscribers' frames one send(2) after another, about 1 ms on loopback; two halve that.
    /// The handler is called from every thread.
    public var serviceThreads: Int = 1

    public init() {}

    /// The most bytes of request line plus headers a request may have.
    public static let maxHeaderBytes = 32 * 1024 - 1

    var usesTLS: Bool { tlsCertificatePath != nil && tlsPrivateKeyPath != nil }
}

extension Duration {
    /// Whole seconds, rounded up, at least 1 (lws timeouts are in seconds).
    var wholeSecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
