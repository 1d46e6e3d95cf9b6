import SolverSession
import SolverWire

/// The service-wide status (`GET /api/v1/status`).
struct ServiceStatus: Sendable {
    var nodeID: String
    var version: String
    var uptimeSeconds: Double
    var sessions: Int
    var memoryBytes: Int
    var webSocketConnections: Int
    var streams: Int
    var draining: Bool
    var schedulerWidth: Int
    var nodes: [String]
}

/// JSON bodies that belong to the service rather than to one session.
extension WireEncoder {
    static func serviceStatus(_ s: ServiceStatus) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("type", "service_status")
            w.field("node_id", s.nodeID)
            w.field("version", s.version)
            w.field("uptime_seconds", s.uptimeSeconds)
            w.field("sessions", s.sessions)
            w.field("memory_bytes", s.memoryBytes)
            w.field("websocket_connections", s.webSocketConnections)
            w.field("streams", s.streams)
            w.field("draining", s.draining)
            w.field("scheduler_width", s.schedulerWidth)
            w.key("nodes")
            w.array { w in
                for node in s.nodes {
                    w.object { w in
                        w.field("node_id", node)
                        w.field("healthy", true)
                        w.field("self", node == s.nodeID)
                    }
                }
            }
        }
        return w.bytes
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
    static func sessionList(_ statuses: [SessionStatus]) -> [UInt8] {
        var bytes = Array("{\"count\":\(statuses.count),\"sessions\":[".utf8)
        for (k, status) in statuses.enumerated() {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += WireEncoder.status(status)
        }
        bytes += Array("]}".utf8)
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
