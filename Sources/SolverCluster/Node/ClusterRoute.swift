import Foundation
import SolverCore
import SolverServer
import SolverSession
import SolverWire

/// The cluster's endpoints on the service port (a `ServiceRoute`):
/// - `POST /api/v1/swarm/join` `{"node_id", "address"?}` registers an external swarm node (re-join to heartbeat)
///   and answers the node list;
/// - `GET /api/v1/swarm/nodes` lists every node with health;
/// - `GET /api/v1/cluster/sessions/{id}` names a session's current owner.
public struct ClusterRoute: ServiceRoute {
    let node: ClusterNode
    public init(node: ClusterNode) { self.node = node }

    public func matches(_ path: String) -> Bool {
        path == "/api/v1/swarm/join" || path == "/api/v1/swarm/nodes" || path.hasPrefix("/api/v1/cluster/")
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        DispatchQueue.global().async { respond(request, responder) }
    }

    private func respond(_ request: HTTPRequest, _ responder: HTTPResponder) {
        do {
            switch (request.method, request.path) {
            case ("POST", "/api/v1/swarm/join"):
                let join = try SwarmJoinRequest.decode(try JSONReader.parse(request.body))
                try node.join(nodeID: join.nodeID, address: join.address)
                send(responder, 200, Self.nodesJSON(try node.nodes(), selfID: node.nodeID))
            case ("GET", "/api/v1/swarm/nodes"):
                send(responder, 200, Self.nodesJSON(try node.nodes(), selfID: node.nodeID))
            case ("GET", let path) where path.hasPrefix("/api/v1/cluster/sessions/"):
                let id = try SessionID(validating: String(path.dropFirst("/api/v1/cluster/sessions/".count)))
                guard let owner = try node.owner(of: id) else {
                    throw SolverError(.sessionNotFound, "no live owner for session \(id)", field: "session_id")
                }
                var w = JSONWriter()
                w.object { w in
                    w.field("session_id", id.rawValue)
                    w.field("owner", owner)
                }
                send(responder, 200, w.bytes)
            default:
                throw SolverError(.notFound, "no endpoint \(request.method) \(request.path)", field: nil)
            }
        } catch let error as SolverError {
            send(responder, error.httpStatus, WireEncoder.errorBody(error))
        } catch {
            send(responder, SolverError.Code.clusterUnavailable.httpStatus, WireEncoder.errorBody(SolverError(.clusterUnavailable, "the cluster store is unreachable: \(error)")))
        }
    }

    private func send(_ responder: HTTPResponder, _ status: Int, _ body: [UInt8]) {
        _ = responder.respond(status: status, headers: [("content-type", "application/json")], body: body)
    }

    /// `{"self": id, "nodes": [{"node_id", "address", "kind", "healthy", "last_heartbeat", "self"}]}`, each node as
    /// status lists it.
    public static func nodesJSON(_ nodes: [NodeInfo], selfID: String) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("self", selfID)
            w.key("nodes")
            w.array { w in
                for n in nodes { WireEncoder.writeNode(n, selfID: selfID, into: &w) }
            }
        }
        return w.bytes
    }
}
