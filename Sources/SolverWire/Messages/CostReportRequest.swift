import SolverCore
import SolverSession

/// `cost_report` (docs/design.md §7.1): one swarm node's view of entries of `b`, sent over the WebSocket or posted to
/// `/api/v1/swarm/costs` with `"type": "cost_report"`. It travels as a `CostUpdateRequest` whose update carries
/// the report, so it is journaled, acknowledged, forwarded to the owner and ordered exactly like a `cost_update`.
///
/// `{"type":"cost_report","session_id","node_id","local_costs":{"indices","values"},"computation_confidence"?,
/// "network_latency"?,"timestamp"?,"source_node"?,"propagation_depth"?}`; `source_node` defaults to `node_id`.
public enum CostReportRequest {
    public static let typeName = "cost_report"

    public static func decode(_ json: JSONValue) throws -> CostUpdateRequest {
        let fields = try JSONFields(json, path: "")
        try fields.checkType(typeName)
        let id = try fields.requiredSessionID()
        let node = try fields.required("node_id") { try fields.string($0) }
        let costs = try fields.required("local_costs") { try fields.object($0) }
        let report = CostReport(
            nodeID: node,
            indices: try costs.required("indices") { try costs.ints($0) },
            values: try costs.required("values") { try costs.doubles($0) },
            confidence: try fields.double("computation_confidence") ?? 1,
            networkLatencyMs: try fields.double("network_latency"))
        var update = CostUpdate(report: report)
        update.sourceNode = try fields.string("source_node") ?? node
        update.propagationDepth = try fields.int("propagation_depth")
        update.timestamp = try CostUpdateRequest.timestamp(fields)
        return CostUpdateRequest(sessionID: id, update: update)
    }
}

extension CostUpdateRequest {
    /// The request with `source_node` set to `node` (the node that accepted it) when the client named none.
    public func sourcedAt(_ node: String) -> CostUpdateRequest {
        var copy = self
        copy.update.sourceNode = copy.update.sourceNode ?? node
        return copy
    }

    /// A body of `/api/v1/swarm/costs`: a `cost_report` when its `type` says so, otherwise a `cost_update` (those may
    /// come without `type`, docs/design.md §9.2).
    public static func decodeUpdateOrReport(_ json: JSONValue) throws -> CostUpdateRequest {
        if case .object(let members) = json, case .string(CostReportRequest.typeName)? = members["type"] {
            return try CostReportRequest.decode(json)
        }
        return try decode(json)
    }
}
