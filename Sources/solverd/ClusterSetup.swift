import Foundation
import Logging
import SolverCluster
import SolverConfig
import SolverServer
import SolverSession

/// Cluster mode (`cluster.redis_url`, `--cluster redis://HOST:PORT`): builds the node, its route and its place in
/// status. With no Redis URL nothing here runs and solverd stays one process with no Redis.
enum ClusterSetup {
    /// The node's settings from a validated configuration; nil in embedded mode.
    static func configuration(_ c: SolverdConfig) throws -> ClusterConfiguration? {
        guard let address = try c.cluster.redisAddress() else { return nil }
        let endpoint = RedisEndpoint(host: address.host, port: address.port, database: address.database)
        // hostname-pid: unique per process without configuration, so two nodes on one host never share leases.
        var node = ClusterConfiguration(endpoint: endpoint,
                                        nodeID: c.cluster.nodeID ?? ProcessInfo.processInfo.hostName + "-\(getpid())")
        node.leaseMilliseconds = c.cluster.leaseMilliseconds
        node.heartbeatInterval = Double(c.cluster.heartbeatMilliseconds) / 1000
        node.snapshotInterval = Double(c.cluster.snapshotIntervalMilliseconds) / 1000
        node.eventLogLength = c.cluster.eventLogLength
        node.maxSessionDuration = c.sessions.maxDurationSeconds
        return node
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
