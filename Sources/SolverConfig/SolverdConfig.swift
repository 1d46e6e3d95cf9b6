import SolverSecurity

/// Everything `solverd serve` reads from `solverd.yaml`, the `SOLVERD_*` environment and its flags, with the
/// defaults used when a key is absent. `Config/solverd.yaml` documents every key.
public struct SolverdConfig: Sendable, Equatable {
    public struct Server: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 3000
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// Browser origins allowed besides the server's own (`*` any); see ``OriginPolicy``.
        public var corsOrigins: [String] = []
        /// `Host` names served besides loopback ones (a reverse proxy's public name).
        public var allowedHosts: [String] = []
        public var dashboardDirectory: String?
        /// Idle HTTP keep-alive connections close after this many seconds.
        public var keepAliveSeconds = 60.0
        /// NDJSON/SSE heartbeat records and WebSocket pings, every this many seconds.
        public var heartbeatSeconds = 15.0
        public var drainSeconds = 30.0
        /// lws service threads sharing the port; 0: one per core, at most 2 (solverd decides).
        public var serviceThreads = 0
        public static let serviceThreadRange = 0...64
        /// Allow a non-loopback address without auth.
        public var insecure = false
        public var nodeID = "solverd-local"
    }

    public struct Limits: Sendable, Equatable {
        public var maxBodyBytes = 50 * 1024 * 1024
        public var maxMessageBytes = 16 * 1024 * 1024
        public var maxSessions = 10_000
        public var maxMemoryBytes = 8 << 30
        /// One session's sparse factor at most, as predicted by its symbolic analysis (413 beyond).
        public var maxFactorBytes = 4 << 30
    }

    public struct Sessions: Sendable, Equatable {
        public var idleTimeoutSeconds = 600.0
        public var maxDurationSeconds = 3600.0
        /// `background` or `idle`: the CPU priority of solving (see `Config/solverd.yaml`).
        public var solvingPriority = "background"
        public static let solvingPriorities = ["background", "idle"]
    }

    /// Used when a `solve_request` does not say.
    public struct Verification: Sendable, Equatable {
        public var interval = 100
        public var probeCount = 10
    }

    public struct RateLimits: Sendable, Equatable {
        public struct Requests: Sendable, Equatable {
            public var requests: Int
            public var windowSeconds: Double
        }
        public var enabled = true
        /// Per principal (docs/design.md §8.1): requests per window and concurrent streams (WebSockets + NDJSON/SSE).
        public var principal = Requests(requests: 1000, windowSeconds: 3600)
        public var principalConcurrentStreams = 10
        /// Per client IP address.
        public var ip = Requests(requests: 100, windowSeconds: 300)
        public var ipConcurrentConnections = 5
        /// Cost updates (WebSocket `cost_update`, `POST /swarm/costs`) per principal: their own, generous budget.
        public var updatesPerSecond = 50_000
        public var updateBytesPerSecond = 64 * 1024 * 1024
        /// Rate-limited WebSocket messages in a row before the connection is closed with 1008.
        public var webSocketStrikes = 50
        /// Loopback clients of an open (no-auth) server are not request-limited (docs/design.md §8.1).
        public var exemptLoopbackWhenOpen = true
    }

    public struct Logging: Sendable, Equatable {
        public var level = "info"
        /// `text` or `json` (one JSON object per line).
        public var format = "text"
        /// Iterations slower than this are logged as warnings (docs/design.md §8.3).
        public var slowIterationMilliseconds = 10.0
    }

    public var server = Server()
    public var limits = Limits()
    public var sessions = Sessions()
    public var verification = Verification()
    public var auth = AuthSettings()
    public var rateLimits = RateLimits()
    public var cluster = Cluster()
    public var logging = Logging()

    public init() {}

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}
