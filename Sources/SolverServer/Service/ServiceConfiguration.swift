import Logging
import SolverCore
import SolverSecurity

/// What the routes layer needs beyond the transport's settings.
public struct ServiceConfiguration: Sendable {
    /// Which browser origins and `Host` names are served (CORS, WebSocket upgrades, DNS rebinding).
    public var originPolicy = OriginPolicy()
    /// Directory served at `/` (the dashboard); nil or missing → 404.
    public var dashboardDirectory: String?
    /// Extra directories served read-only under a URL prefix, e.g. `/vendor/` → `/usr/share/javascript`.
    public var staticMounts: [(prefix: String, directory: String)] = []
    /// Seconds between heartbeat records on NDJSON/SSE streams.
    public var heartbeatInterval: Double = 15
    public var matrixLimits = MatrixLimits()
    /// This node's id (reported by status and swarm/join).
    public var nodeID = "solverd-local"
    public var version = SolverdVersion.number
    /// The git commit the executable was built from, reported by status when set.
    public var commit: String?
    /// Plug-in endpoint families (MCP, cluster), asked before the built-in routes. They sit behind the same
    /// authentication and request limits; the principal arrives in the `x-solverd-principal` request header.
    public var routes: [any ServiceRoute] = []
    /// Credentials; nil (or nothing configured) is open mode, where everyone is `anonymous`.
    public var authenticator: Authenticator?
    public var limits = ServiceLimits()
    /// `options.verification_interval` / `options.probe_count` when a `solve_request` leaves them out.
    public var verificationInterval = 100
    public var probeCount = 10
    /// Renders the metrics backend's text for `/metrics` (nil: 404).
    public var metricsExposition: (@Sendable () -> String)?
    public var logger = Logger(label: "solverd.service", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Sessions on other nodes (cluster mode): updates for them are forwarded to their owner.
    public var remoteSessions: (any RemoteSessions)?
    /// The cluster's node list with health for status (cluster mode).
    public var membership: (any ClusterMembership)?
    public init() {}
}
