import SolverCore

/// `POST /api/v1/swarm/join`: `{"node_id", "address"?}`, an external swarm node announcing itself.
public struct SwarmJoinRequest: Sendable, Equatable {
    public var nodeID: String
    public var address: String

    public static func decode(_ json: JSONValue) throws -> SwarmJoinRequest {
        let fields = try JSONFields(json, path: "")
        let id = try fields.required("node_id") { try fields.string($0) }
        guard !id.isEmpty, id.utf8.count <= 128, !id.contains(" ") else {
            throw SolverError(.invalidArgument, "node_id must be 1–128 characters without spaces", field: "node_id")
        }
        return SwarmJoinRequest(nodeID: id, address: try fields.string("address") ?? "")
    }
}
