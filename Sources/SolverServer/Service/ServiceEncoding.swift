import SolverSession
import SolverWire

/// The service-wide status (`GET /api/v1/status`).
struct ServiceStatus: Sendable {
    var nodeID: String
    var version: String
    var commit: String?
    var uptimeSeconds: Double
    var sessions: Int
    var memoryBytes: Int
    var webSocketConnections: Int
    var streams: Int
    var draining: Bool
    var schedulerWidth: Int
    /// The solving lane's CPU priority now: `idle` or `background`.
    var solvingPriority: String
    /// `embedded` or `cluster`.
    var mode: String
    /// Cluster mode: whether the node list could be read from the cluster store (nil when embedded).
    var clusterStoreReachable: Bool?
    var nodes: [NodeInfo]
}

/// JSON bodies that belong to the service rather than to one session.
extension WireEncoder {
    static func serviceStatus(_ s: ServiceStatus) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("type", "service_status")
            w.field("node_id", s.nodeID)
            w.field("version", s.version)
            if let commit = s.commit { w.field("commit", commit) }
            w.field("uptime_seconds", s.uptimeSeconds)
            w.field("sessions", s.sessions)
            w.field("memory_bytes", s.memoryBytes)
            w.field("websocket_connections", s.webSocketConnections)
            w.field("streams", s.streams)
            w.field("draining", s.draining)
            w.field("scheduler_width", s.schedulerWidth)
            w.field("solving_priority", s.solvingPriority)
            w.field("mode", s.mode)
            if let reachable = s.clusterStoreReachable { w.field("cluster_store", reachable ? "ok" : "unreachable") }
            w.key("nodes")
            w.array { w in
                for node in s.nodes { writeNode(node, selfID: s.nodeID, into: &w) }
            }
        }
        return w.bytes
    }

    /// `{"node_id", "address"?, "kind", "healthy", "last_heartbeat"?, "self"}`, as status and the cluster's
    /// `/api/v1/swarm/nodes` list nodes. Unknown address and heartbeat (this node in embedded mode) are left out.
    public static func writeNode(_ node: NodeInfo, selfID: String, into w: inout JSONWriter) {
        w.object { w in
            w.field("node_id", node.id)
            if !node.address.isEmpty { w.field("address", node.address) }
            w.field("kind", node.kind)
            w.field("healthy", node.healthy)
            if node.lastHeartbeat > 0 { w.field("last_heartbeat", node.lastHeartbeat) }
            w.field("self", node.id == selfID)
        }
    }

    static func health(status: String, sessions: Int) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("status", status)
            w.field("sessions", sessions)
        }
        return w.bytes
    }

    static func sessionDeleted(sessionID: SessionID) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("type", "session_deleted")
            w.field("session_id", sessionID.rawValue)
        }
        return w.bytes
    }

    /// `{"count": N, "sessions": [status, …]}`, splicing each session's encoded status in as is.
    /// `{"count","sessions":[status…]}`, plus `"remote":[{"session_id","owner"}]` for sessions held elsewhere.
    static func sessionList(_ statuses: [SessionStatus], remote: [(id: SessionID, owner: String?)]? = nil) -> [UInt8] {
        var bytes = Array("{\"count\":\(statuses.count),\"sessions\":[".utf8)
        for (k, status) in statuses.enumerated() {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += WireEncoder.status(status)
        }
        bytes += Array("]".utf8)
        if let remote {
            var w = JSONWriter()
            w.array { w in
                for entry in remote {
                    w.object { w in
                        w.field("session_id", entry.id.rawValue)
                        w.field("owner", entry.owner)
                    }
                }
            }
            bytes += Array(",\"remote\":".utf8) + w.bytes
        }
        bytes += Array("}".utf8)
        return bytes
    }

    /// `POST /swarm/join` on a single node: the swarm is this node alone.
    static func swarmNodes(_ nodes: [String], selfID: String) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("type", "swarm_joined")
            w.field("node_id", selfID)
            w.field("mode", "single_node")
            w.key("nodes")
            w.array { w in
                for node in nodes { w.value(node) }
            }
        }
        return w.bytes
    }
}
