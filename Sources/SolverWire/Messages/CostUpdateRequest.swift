import SolverCore
import SolverSession

/// `cost_update` (plan §2.2, §9.2): changes to a live session's `b` and `A`.
///
/// Decoding checks shape and types only; ranges and lengths depend on the session's dimension and are checked by
/// `CostUpdate.validate(dimension:)` when the session accepts the update, so errors there name the same fields.
public struct CostUpdateRequest: Sendable {
    public var sessionID: SessionID
    public var update: CostUpdate

    public init(sessionID: SessionID, update: CostUpdate) {
        self.sessionID = sessionID
        self.update = update
    }
}

extension CostUpdateRequest {
    public static let typeName = "cost_update"

    /// §9.2 posts this to `/swarm/costs` without `type`; it may be present and must then be `cost_update`.
    public static func decode(_ json: JSONValue) throws -> CostUpdateRequest {
        let fields = try JSONFields(json, path: "")
        try fields.checkType(typeName)
        let id = try fields.requiredSessionID()
        var update = CostUpdate()
        if let delta = try fields.object("delta_costs") {
            update.deltaIndices = try delta.required("indices") { try delta.ints($0) }
            update.deltaValues = try delta.required("values") { try delta.doubles($0) }
        }
        if let entries = try fields.array("matrix_updates") {
            update.matrixUpdates = try entries.enumerated().map { k, entry in
                try matrixEntryUpdate(JSONFields(entry, path: "matrix_updates[\(k)]"))
            }
        }
        guard fields.contains("delta_costs") || fields.contains("matrix_updates") else {
            throw SolverError(.missingField, "a cost_update needs delta_costs or matrix_updates", field: "delta_costs")
        }
        update.sourceNode = try fields.string("source_node")
        update.propagationDepth = try fields.int("propagation_depth")
        update.timestamp = try timestamp(fields)
        return CostUpdateRequest(sessionID: id, update: update)
    }

    private static func matrixEntryUpdate(_ entry: JSONFields) throws -> CostUpdate.MatrixEntryUpdate {
        CostUpdate.MatrixEntryUpdate(
            row: try entry.required("row") { try entry.int($0) },
            col: try entry.required("col") { try entry.int($0) },
            oldValue: try entry.double("old_value"),
            newValue: try entry.required("new_value") { try entry.double($0) })
    }

    /// The plan sends an ISO-8601 string (§2.2) but its reporter code sends `Date.now()` milliseconds (§3.1);
    /// both are kept as text, since the timestamp is informational.
    static func timestamp(_ fields: JSONFields) throws -> String? {
        switch fields["timestamp"] {
        case nil: return nil
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case let v?: throw fields.typeError("timestamp", expected: "a string or a number", got: v)
        }
    }
}
