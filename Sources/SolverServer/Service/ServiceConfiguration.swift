import SolverCore

/// What the routes layer needs beyond the transport's settings.
public struct ServiceConfiguration: Sendable {
    /// Origins allowed by CORS; `*` allows any.
    public var corsOrigins: [String] = ["*"]
    /// Directory served at `/` (the dashboard); nil or missing → 404.
    public var dashboardDirectory: String?
    /// Extra directories served read-only under a URL prefix, e.g. `/vendor/` → `/usr/share/javascript`.
    public var staticMounts: [(prefix: String, directory: String)] = []
    /// Seconds between heartbeat records on NDJSON/SSE streams.
    public var heartbeatInterval: Double = 15
    public var matrixLimits = MatrixLimits()
    /// This node's id (reported by status and swarm/join).
    public var nodeID = "solverd-local"
    public var version = "0.1.0"
    /// Plug-in endpoint families (MCP, cluster), asked before the built-in routes.
    public var routes: [any ServiceRoute] = []
    public init() {}
}
