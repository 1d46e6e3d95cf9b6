import Dispatch
import Foundation
import SolverConfig
import SolverSecurity
import SolverServer
import SolverSession
import SolverWire
import Logging

/// Turns a validated ``SolverdConfig`` into the settings of the registry, the routes and the transport.
enum ServiceSetup {
    static func sessionLimits(_ c: SolverdConfig) -> SessionLimits {
        var limits = SessionLimits()
        limits.maxSessions = c.limits.maxSessions
        limits.maxMemoryBytes = c.limits.maxMemoryBytes
        limits.maxFactorBytes = c.limits.maxFactorBytes
        limits.idleTimeout = c.sessions.idleTimeoutSeconds
        limits.maxDuration = c.sessions.maxDurationSeconds
        return limits
    }

    static func service(_ c: SolverdConfig, authenticator: Authenticator, logger: Logger) -> ServiceConfiguration {
        var service = ServiceConfiguration()
        service.originPolicy = OriginPolicy(allowedOrigins: c.server.corsOrigins, allowedHosts: c.server.allowedHosts,
                                            loopbackBind: Loopback.isLoopback(c.server.host))
        service.staticMounts = [("/vendor/", "/usr/share/javascript")]
        service.matrixLimits = sessionLimits(c).matrix
        service.heartbeatInterval = c.server.heartbeatSeconds
        service.nodeID = c.cluster.nodeID ?? c.server.nodeID
        service.authenticator = authenticator
        service.verificationInterval = c.verification.interval
        service.probeCount = c.verification.probeCount
        service.logger = logger
        var limits = ServiceLimits()
        let r = c.rateLimits
        limits.enabled = r.enabled
        limits.principalRequests = r.principal.requests
        limits.principalWindowSeconds = r.principal.windowSeconds
        limits.principalConcurrentStreams = r.principalConcurrentStreams
        limits.ipRequests = r.ip.requests
        limits.ipWindowSeconds = r.ip.windowSeconds
        limits.ipConcurrentConnections = r.ipConcurrentConnections
        limits.updatesPerSecond = r.updatesPerSecond
        limits.updateBytesPerSecond = r.updateBytesPerSecond
        limits.webSocketStrikes = r.webSocketStrikes
        limits.exemptLoopbackWhenOpen = r.exemptLoopbackWhenOpen
        service.limits = limits
        return service
    }

    static func scheduler(_ c: SolverdConfig) -> SessionScheduler {
        // The configuration was validated against the same names (`Sessions.solvingPriorities`).
        SessionScheduler(solvingPriority: SessionScheduler.SolvingPriority(rawValue: c.sessions.solvingPriority) ?? .background)
    }

    /// `server.service_threads: 0`: one service thread per core, at most two. A second thread writes half of a
    /// fan-out's frames in parallel with the first (bench-server); more would take cores from the solver workers.
    static var automaticServiceThreads: Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }

    static func transport(_ c: SolverdConfig) -> TransportConfiguration {
        var transport = TransportConfiguration()
        transport.host = c.server.host
        transport.port = c.server.port
        transport.maxBodyBytes = c.limits.maxBodyBytes
        transport.maxMessageBytes = c.limits.maxMessageBytes
        transport.tlsCertificatePath = c.server.tlsCertificate
        transport.tlsPrivateKeyPath = c.server.tlsKey
        transport.keepAlive = .milliseconds(Int(c.server.keepAliveSeconds * 1000))
        transport.pingInterval = .milliseconds(Int(c.server.heartbeatSeconds * 1000))
        transport.serviceThreads = c.server.serviceThreads > 0 ? c.server.serviceThreads : automaticServiceThreads
        // Browsers put a token in `bearer.<token>` next to `solverd.v1`; the server selects the protocol's name.
        transport.webSocketSubprotocols = WireProtocol.subprotocols
        return transport
    }
}

/// Checks on values only flags can set wrongly (the file's keys are checked while reading).
enum FlagChecks {
    static func check(_ c: SolverdConfig) throws {
        guard (0...65535).contains(c.server.port) else { throw ConfigError(key: "server.port", "must be in 0...65535, got \(c.server.port)") }
        let threads = SolverdConfig.Server.serviceThreadRange
        guard threads.contains(c.server.serviceThreads) else {
            throw ConfigError(key: "server.service_threads", "must be in \(threads.lowerBound)...\(threads.upperBound), got \(c.server.serviceThreads)")
        }
        guard SolverdConfig.logLevels.contains(c.logging.level) else {
            throw ConfigError(key: "logging.level", "must be one of \(SolverdConfig.logLevels.joined(separator: ", "))")
        }
        guard ["text", "json"].contains(c.logging.format) else { throw ConfigError(key: "logging.format", "must be text or json") }
        for (key, value) in [("limits.max_body_bytes", c.limits.maxBodyBytes), ("limits.max_message_bytes", c.limits.maxMessageBytes),
                             ("limits.max_sessions", c.limits.maxSessions)] where value <= 0 {
            throw ConfigError(key: key, "must be positive")
        }
        for (key, value) in [("sessions.idle_timeout_seconds", c.sessions.idleTimeoutSeconds),
                             ("sessions.max_duration_seconds", c.sessions.maxDurationSeconds)] where value <= 0 {
            throw ConfigError(key: key, "must be positive")
        }
    }
}

/// Runs async set-up (JWT key loading) from the synchronous command, before the service starts.
enum AsyncBridge {
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}
