import Foundation
import SolverSecurity
import Yams

extension SolverdConfig {
    /// Reads a config file (nil: defaults only) with `SOLVERD_*` overrides from `environment`, then validates.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SolverdConfig {
        var text = ""
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(key: "config", "cannot read \(path)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        return try parse(yaml: text, environment: environment)
    }

    /// Parses YAML text with overrides from `environment`; throws ``ConfigError`` naming the first bad key.
    public static func parse(yaml: String, environment: [String: String] = [:]) throws -> SolverdConfig {
        let tree: Any?
        do {
            tree = try Yams.load(yaml: yaml)
        } catch {
            throw ConfigError(key: "config", "not valid YAML: \(error)")
        }
        guard tree == nil || tree is NSNull || tree is [String: Any] else { throw ConfigError(key: "config", "the top level must be a mapping") }
        var env = environment
        // Short aliases for the most common overrides.
        for (alias, full) in [("SOLVERD_HOST", "SOLVERD_SERVER_HOST"), ("SOLVERD_PORT", "SOLVERD_SERVER_PORT")] where env[full] == nil {
            env[full] = env[alias]
        }
        let root = ConfigSection(path: "", values: tree as? [String: Any] ?? [:], environment: env)
        var config = SolverdConfig()
        try config.read(root, environment: env)
        try root.finish()
        try config.validate()
        return config
    }

    private mutating func read(_ root: ConfigSection, environment: [String: String]) throws {
        try readServer(root.section("server"))
        let l = try root.section("limits")
        limits.maxBodyBytes = try l.int("max_body_bytes", limits.maxBodyBytes, in: 1...(1 << 34))
        limits.maxMessageBytes = try l.int("max_message_bytes", limits.maxMessageBytes, in: 1...(1 << 32))
        limits.maxSessions = try l.int("max_sessions", limits.maxSessions, in: 1...10_000_000)
        limits.maxMemoryBytes = try l.int("max_memory_bytes", limits.maxMemoryBytes, in: (1 << 20)...Int.max)
        limits.maxFactorBytes = try l.int("max_factor_bytes", limits.maxFactorBytes, in: 1...Int.max)
        try l.finish()
        let s = try root.section("sessions")
        sessions.idleTimeoutSeconds = try s.double("idle_timeout_seconds", sessions.idleTimeoutSeconds, in: 0.1...1e9)
        sessions.maxDurationSeconds = try s.double("max_duration_seconds", sessions.maxDurationSeconds, in: 0.1...1e9)
        sessions.solvingPriority = try s.choice("solving_priority", sessions.solvingPriority, of: Sessions.solvingPriorities)
        try s.finish()
        let v = try root.section("verification")
        verification.interval = try v.int("interval", verification.interval, in: 1...1_000_000)
        verification.probeCount = try v.int("probe_count", verification.probeCount, in: 1...100)
        try v.finish()
        auth = try AuthSettings.read(try root.section("auth"), environment: environment)
        try readRateLimits(root.section("rate_limits"))
        try cluster.read(root.section("cluster"))
        let g = try root.section("logging")
        logging.level = try g.choice("level", logging.level, of: Self.logLevels)
        logging.format = try g.choice("format", logging.format, of: ["text", "json"])
        logging.slowIterationMilliseconds = try g.double("slow_iteration_ms", logging.slowIterationMilliseconds, in: 0...1e6)
        try g.finish()
    }

    private mutating func readServer(_ s: ConfigSection) throws {
        server.host = try s.string("host") ?? server.host
        server.port = try s.int("port", server.port, in: 0...65535)
        let tls = try s.section("tls")
        server.tlsCertificate = try tls.string("cert")
        server.tlsKey = try tls.string("key")
        try tls.finish()
        server.corsOrigins = try s.strings("cors_origins", server.corsOrigins)
        server.allowedHosts = try s.strings("allowed_hosts", server.allowedHosts)
        server.dashboardDirectory = try s.string("dashboard_dir")
        server.keepAliveSeconds = try s.double("keep_alive_seconds", server.keepAliveSeconds, in: 1...86_400)
        server.heartbeatSeconds = try s.double("heartbeat_seconds", server.heartbeatSeconds, in: 0.1...3600)
        server.drainSeconds = try s.double("drain_seconds", server.drainSeconds, in: 0...3600)
        server.serviceThreads = try s.int("service_threads", server.serviceThreads, in: Server.serviceThreadRange)
        server.insecure = try s.bool("insecure", server.insecure)
        server.nodeID = try s.string("node_id") ?? server.nodeID
        try s.finish()
    }

    private mutating func readRateLimits(_ r: ConfigSection) throws {
        rateLimits.enabled = try r.bool("enabled", rateLimits.enabled)
        let p = try r.section("principal")
        rateLimits.principal = try Self.requests(p, rateLimits.principal)
        rateLimits.principalConcurrentStreams = try p.int("concurrent_streams", rateLimits.principalConcurrentStreams, in: 1...1_000_000)
        try p.finish()
        let i = try r.section("ip")
        rateLimits.ip = try Self.requests(i, rateLimits.ip)
        rateLimits.ipConcurrentConnections = try i.int("concurrent_connections", rateLimits.ipConcurrentConnections, in: 1...1_000_000)
        try i.finish()
        let u = try r.section("updates")
        rateLimits.updatesPerSecond = try u.int("per_second", rateLimits.updatesPerSecond, in: 1...100_000_000)
        rateLimits.updateBytesPerSecond = try u.int("bytes_per_second", rateLimits.updateBytesPerSecond, in: 1024...(1 << 40))
        try u.finish()
        rateLimits.webSocketStrikes = try r.int("websocket_strikes", rateLimits.webSocketStrikes, in: 1...1_000_000)
        rateLimits.exemptLoopbackWhenOpen = try r.bool("exempt_loopback_when_open", rateLimits.exemptLoopbackWhenOpen)
        try r.finish()
    }

    private static func requests(_ s: ConfigSection, _ fallback: RateLimits.Requests) throws -> RateLimits.Requests {
        RateLimits.Requests(requests: try s.int("requests", fallback.requests, in: 1...100_000_000),
                            windowSeconds: try s.double("window_seconds", fallback.windowSeconds, in: 0.001...1e7))
    }
}
