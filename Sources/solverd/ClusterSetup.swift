import ArgumentParser
import Foundation
import Logging
import SolverCluster
import SolverServer
import SolverSession

/// `--cluster redis://HOST:PORT --node-id ID`: builds the node, its journal-backed registry and its route.
/// Without `--cluster` nothing here runs and solverd stays one process with no Redis.
enum ClusterSetup {
    struct Options {
        var url: String
        var nodeID: String?
        var leaseMilliseconds: Int?
        var faultInjectWrongResiduals = false
    }

    /// Validates the flags and makes the node (not started). Exit code 2 with a message on a bad value.
    static func node(_ options: Options, maxSessionDuration: Double) throws -> ClusterNode {
        guard let endpoint = RedisEndpoint(url: options.url) else {
            FileHandle.standardError.write(Data("solverd: invalid configuration: --cluster: expected redis://HOST:PORT, got '\(options.url)'\n".utf8))
            throw ExitCode(2)
        }
        var config = ClusterConfiguration(endpoint: endpoint, nodeID: options.nodeID ?? ProcessInfo.processInfo.hostName + "-\(getpid())")
        if let lease = options.leaseMilliseconds {
            guard (100...600_000).contains(lease) else {
                FileHandle.standardError.write(Data("solverd: invalid configuration: --lease-ms must be in 100...600000\n".utf8))
                throw ExitCode(2)
            }
            config.leaseMilliseconds = lease
        }
        config.maxSessionDuration = maxSessionDuration
        config.faultInjectWrongResiduals = options.faultInjectWrongResiduals
        return ClusterNode(configuration: config, logger: Logger(label: "solverd.cluster"))
    }

    /// Adds the cluster route and names the node in status.
    static func configure(_ service: inout ServiceConfiguration, node: ClusterNode) {
        service.routes.append(ClusterRoute(node: node))
        service.nodeID = node.nodeID
        service.remoteSessions = node
    }
}
