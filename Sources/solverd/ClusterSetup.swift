import ArgumentParser
import Foundation
import Logging
import SolverCluster
import SolverConfig
import SolverServer
import SolverSession

/// Cluster mode (`cluster.redis_url`, `--cluster redis://…` or `redis+sentinel://…`): builds the node, its route
/// and its place in status. With no Redis URL nothing here runs and solverd stays one process with no Redis.
enum ClusterSetup {
    /// The node's settings from a validated configuration; nil in embedded mode.
    static func configuration(_ c: SolverdConfig) throws -> ClusterConfiguration? {
        guard let address = try c.cluster.redisAddress() else { return nil }
        // hostname-pid: unique per process without configuration, so two nodes on one host never share leases.
        var node = ClusterConfiguration(endpoint: endpoint(address),
                                        nodeID: c.cluster.nodeID ?? ProcessInfo.processInfo.hostName + "-\(getpid())")
        node.leaseMilliseconds = c.cluster.leaseMilliseconds
        node.waitReplicas = c.cluster.waitReplicas
        node.waitTimeoutMilliseconds = c.cluster.waitTimeoutMilliseconds
        node.heartbeatInterval = Double(c.cluster.heartbeatMilliseconds) / 1000
        node.snapshotInterval = Double(c.cluster.snapshotIntervalMilliseconds) / 1000
        node.eventLogLength = c.cluster.eventLogLength
        node.maxSessionDuration = c.sessions.maxDurationSeconds
        return node
    }

    /// What SolverCluster connects with, from the parsed URL and the Sentinel credentials.
    static func endpoint(_ a: RedisAddress) -> RedisEndpoint {
        let login = a.password.map { RedisEndpoint.Credentials(username: a.username, password: $0) }
        let servers = a.servers.map { RedisEndpoint.Server(host: $0.host, port: $0.port) }
        guard let name = a.masterName else {
            return RedisEndpoint(host: servers[0].host, port: servers[0].port, database: a.database, credentials: login)
        }
        let sentinelLogin = a.sentinelPassword.map { RedisEndpoint.Credentials(username: a.sentinelUsername, password: $0) }
        return RedisEndpoint(sentinels: servers, masterName: name, sentinelCredentials: sentinelLogin,
                             database: a.database, credentials: login)
    }

    /// Start-up check of the login: one `PING`, retried while Redis is unreachable for up to `patience` seconds.
    /// Wrong or missing credentials stop start-up (exit 1, naming the URL without its password); Redis being away
    /// does not — the node keeps retrying, as it does whenever Redis goes away later.
    static func checkLogin(_ configuration: ClusterConfiguration, logger: Logger, patience: Double = 2) throws {
        var options = RedisClient.Options()
        options.maxBackoff = 0.2
        let client = RedisClient(endpoint: configuration.endpoint, options: options)
        let deadline = Date().addingTimeInterval(patience)
        var failure: RedisError
        repeat {
            do {
                let reply = try client.command("PING")
                guard case .error(let message) = reply else { return }
                failure = reply.refusesLogin ? .authentication(message) : .reply(message)
            } catch let error as RedisError {
                failure = error
            }
            if failure.code == .authentication {
                FileHandle.standardError.write(Data("solverd: cannot log in to \(configuration.endpoint): \(failure.message)\n".utf8))
                throw ExitCode(1)
            }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        logger.warning("Redis is not reachable yet; the node keeps retrying",
                       metadata: ["redis": "\(configuration.endpoint)", "error": "\(failure.message)"])
    }

    /// The node (not started), or nil in embedded mode. `faultInjectWrongResiduals` is the test-only flag.
    static func node(_ c: SolverdConfig, faultInjectWrongResiduals: Bool = false) throws -> ClusterNode? {
        guard var configuration = try configuration(c) else { return nil }
        configuration.faultInjectWrongResiduals = faultInjectWrongResiduals
        return ClusterNode(configuration: configuration, logger: Logger(label: "solverd.cluster"))
    }

    /// Adds the cluster route, names the node in status and lists the cluster's nodes there.
    static func configure(_ service: inout ServiceConfiguration, node: ClusterNode) {
        service.routes.append(ClusterRoute(node: node))
        service.nodeID = node.nodeID
        service.remoteSessions = node
        service.membership = node
    }
}
