import Foundation
import SolverSecurity

extension SolverdConfig {
    /// Checks that involve several keys. Run again after command-line flags changed the values.
    public func validate() throws {
        guard (server.tlsCertificate == nil) == (server.tlsKey == nil) else {
            throw ConfigError(key: server.tlsCertificate == nil ? "server.tls.cert" : "server.tls.key", "server.tls.cert and server.tls.key go together")
        }
        for (key, path) in [("server.tls.cert", server.tlsCertificate), ("server.tls.key", server.tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) { throw ConfigError(key: key, "cannot read \(path)") }
        }
        for origin in server.corsOrigins {
            if let problem = OriginPolicy.problem(withOrigin: origin) { throw ConfigError(key: "server.cors_origins", problem) }
        }
        for host in server.allowedHosts {
            if let problem = OriginPolicy.problem(withHost: host) { throw ConfigError(key: "server.allowed_hosts", problem) }
        }
        guard !server.host.isEmpty else { throw ConfigError(key: "server.host", "must not be empty") }
        if !Loopback.isLoopback(server.host), !auth.isEnabled, !server.insecure {
            throw ConfigError(key: "server.host",
                              "\(server.host) is not a loopback address and no auth is configured; set auth.tokens or auth.jwt, or allow it with server.insecure (--insecure)")
        }
        guard sessions.idleTimeoutSeconds <= sessions.maxDurationSeconds else {
            throw ConfigError(key: "sessions.idle_timeout_seconds", "must not exceed sessions.max_duration_seconds")
        }
        try cluster.validate()
    }
}
