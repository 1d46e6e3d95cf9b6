import Foundation
import SolverServer
import SolverSession

/// Node registration and heartbeats in Redis: a hash of descriptions plus one expiring key per node, refreshed
/// every heartbeat. A node whose key expired (three missed beats) is listed as unhealthy.
struct NodeDirectory: Sendable {
    let client: RedisClient
    let keys: ClusterKeys
    let heartbeatInterval: Double

    /// Registers (or refreshes) a node. External nodes heartbeat by joining again.
    func beat(id: String, address: String, kind: String) throws {
        let now = Date().timeIntervalSince1970
        let description = "\(kind) \(now) \(address)"
        _ = try client.pipeline([
            ["HSET", RedisArgument(keys.nodes), RedisArgument(id), RedisArgument(description)],
            ["SET", RedisArgument(keys.alive(id)), RedisArgument("\(now)"), "PX", RedisArgument(Int(heartbeatInterval * 3000))],
        ]).map { try $0.checked() }
    }

    func list() throws -> [NodeInfo] {
        guard let flat = try client.command("HGETALL", RedisArgument(keys.nodes)).checked().array else { return [] }
        var nodes: [(String, [String])] = []
        var k = 0
        while k + 1 < flat.count {
            nodes.append((flat[k].string ?? "", (flat[k + 1].string ?? "").split(separator: " ", maxSplits: 2).map(String.init)))
            k += 2
        }
        let alive = try client.pipeline(nodes.map { ["EXISTS", RedisArgument(keys.alive($0.0))] })
        return zip(nodes, alive).map { node, exists in
            let parts = node.1
            return NodeInfo(id: node.0, address: parts.count > 2 ? parts[2] : "", kind: parts.first ?? "solverd",
                            healthy: exists.integer == 1, lastHeartbeat: parts.count > 1 ? Double(parts[1]) ?? 0 : 0)
        }.sorted { $0.id < $1.id }
    }

    /// Removes this node on a clean exit.
    func leave(id: String) {
        _ = try? client.pipeline([["HDEL", RedisArgument(keys.nodes), RedisArgument(id)], ["DEL", RedisArgument(keys.alive(id))]])
    }
}
