import SolverCore
import SolverSession

/// `cost_update` (docs/design.md §3.4): changes to a live session's `b` and `A`.
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

    /// Posted to `/swarm/costs` it may come without `type` (docs/design.md §9.2); when present it must be
    /// `cost_update`.
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

    /// Clients send an ISO-8601 string or milliseconds since 1970 (docs/design.md §3.4); both are kept as text,
    /// since the timestamp is informational.
    static func timestamp(_ fields: JSONFields) throws -> String? {
        switch fields["timestamp"] {
        case nil: return nil
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case let v?: throw fields.typeError("timestamp", expected: "a string or a number", got: v)
        }
    }
}
