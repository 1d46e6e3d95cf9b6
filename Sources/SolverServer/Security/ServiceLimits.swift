/// Request, connection and update limits (docs/design.md §8.1, §12.5). Every bucket is "N per window", refilled
/// continuously. Global limits (sessions, memory) live in `SessionLimits`.
public struct ServiceLimits: Sendable {
    public var enabled = true
    public var principalRequests = 1000
    public var principalWindowSeconds = 3600.0
    public var principalConcurrentStreams = 10
    public var ipRequests = 100
    public var ipWindowSeconds = 300.0
    public var ipConcurrentConnections = 5
    public var updatesPerSecond = 50_000
    public var updateBytesPerSecond = 64 * 1024 * 1024
    /// Rate-limited WebSocket messages in a row before the socket is closed with 1008.
    public var webSocketStrikes = 50
    /// Loopback clients of an open (no-auth) server are not limited.
    public var exemptLoopbackWhenOpen = true

    public init() {}
}
