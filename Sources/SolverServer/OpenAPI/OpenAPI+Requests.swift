import SolverCore
import SolverSession
import SolverWire

/// Request bodies. Enumerations come from the code (methods, preconditioners, aggregations, topologies,
/// verification strategies), so the description cannot offer a name the server refuses or miss one it takes.
extension OpenAPIDocument {
    /// "`member` is present and not null" (null counts as absent), for one arm of an `anyOf`.
    static func present(_ member: String, _ types: [String]) -> SpecNode {
        let type: SpecNode = .object([("type", .array(types.map(SpecNode.string)))])
        return .object([("required", .array([.string(member)])), ("properties", .object([(member, type)]))])
    }

    static var requestSchemas: [(String, SpecNode)] {
        typealias S = Schema
        return [
            ("SessionID", S.string("1–128 characters from A–Z a–z 0–9 . _ : -, starting with a letter or digit.",
                                   pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")),
            ("Matrix", S.oneOf([
                S.ref("MatrixObject"),
                S.array(S.numbers, description: "Dense rows."),
            ], description: "The system matrix A. `data` is read by the names of the arrays present: row_pointers + col_indices + values is CSR; col_pointers + row_indices + values is CSC; rows + cols + values (or row_indices + col_indices + values) are COO triplets, duplicates summed; an array of rows is dense.")),
            ("MatrixObject", S.request([
                ("rows", S.integer(minimum: 1)), ("cols", S.integer(minimum: 1)), ("nnz", S.count()),
                ("format", S.string("A label only (csr, csc, coo, dense); the arrays present decide.")),
                ("data", S.oneOf([S.ref("MatrixArrays"), S.array(S.numbers, description: "Dense rows.")])),
                ("dense", S.array(S.numbers, description: "Dense rows, instead of data.")),
            ]).adding([("anyOf", [present("data", ["object", "array"]), present("dense", ["array"])])])),
            ("MatrixArrays", S.request([
                ("values", S.numbers), ("row_pointers", S.indices), ("col_pointers", S.indices),
                ("row_indices", S.indices), ("col_indices", S.indices), ("rows", S.indices), ("cols", S.indices),
            ], required: ["values"])),
            ("SessionOptions", S.request([
                ("tolerance", S.number("Converged when ‖b − Ax‖₂ ≤ tolerance·‖b‖₂.", above: 0, below: 1)),
                ("max_iterations", S.integer(minimum: 1, maximum: 10_000_000)),
                ("preconditioner", S.string(oneOf: PreconditionerKind.allCases.map(\.rawValue))),
                ("swarm_enabled", S.boolean("Verify by a vote of every healthy node (cluster mode).")),
                ("verification_interval", S.integer("Iterations between verifications.", minimum: 1, maximum: 1_000_000)),
                ("probe_count", S.integer(minimum: 1, maximum: 100)),
                ("convergence_iterations", S.integer(minimum: 1, maximum: 1000)),
                ("relaxation", S.number("SOR weight (also `omega`).", above: 0, below: 2)),
                ("omega", S.number(above: 0, below: 2)),
            ], description: "Unknown members are ignored.")),
            ("FlowNexus", S.request([
                ("swarm_topology", S.string(oneOf: FlowNexusOptions.topologies)),
                ("cost_aggregation", S.string(oneOf: FlowNexusOptions.aggregations)),
                ("verification_strategy", S.string(oneOf: FlowNexusOptions.strategies)),
            ])),
            ("SolveRequest", S.request([
                ("type", S.constant(SolveRequest.typeName)),
                ("session_id", S.sessionID),
                ("matrix", S.ref("Matrix")),
                ("vector", S.array(S.number(), description: "b; its length is the matrix's row count.")),
                ("x0", S.array(S.number(), description: "Initial guess.")),
                ("method", S.string(oneOf: MethodKind.allCases.map(\.rawValue))),
                ("options", S.ref("SessionOptions")),
                ("flow_nexus", S.ref("FlowNexus")),
                ("share", S.array(S.string(minLength: 1), description: "Principals besides the creator allowed to use the session.")),
            ], required: ["matrix", "vector"])),
            ("MatrixEntryUpdate", S.request([
                ("row", S.integer(minimum: 0)), ("col", S.integer(minimum: 0)),
                ("old_value", S.number("Checked first: a mismatch rejects the whole update (update_rejected).")),
                ("new_value", S.number()),
            ], required: ["row", "col", "new_value"])),
            ("SparseDelta", S.request([("indices", S.indices), ("values", S.numbers)], required: ["indices", "values"])),
            ("CostUpdate", S.request([
                ("type", S.constant(CostUpdateRequest.typeName)),
                ("session_id", S.sessionID),
                ("delta_costs", S.ref("SparseDelta")),
                ("matrix_updates", S.array(S.ref("MatrixEntryUpdate"))),
                ("source_node", S.string()), ("propagation_depth", S.integer(minimum: 0)),
                ("timestamp", S.oneOf([S.string(), S.number()], description: "Informational.")),
            ], required: ["session_id"], description: "b[i] += delta; matrix_updates set entries of A. Needs delta_costs or matrix_updates.")
                .adding([("anyOf", [present("delta_costs", ["object"]), present("matrix_updates", ["array"])])])),
            ("CostReport", S.request([
                ("type", S.constant(CostReportRequest.typeName)),
                ("session_id", S.sessionID), ("node_id", S.string()),
                ("local_costs", S.ref("SparseDelta")),
                ("computation_confidence", S.number(above: 0)), ("network_latency", S.number()),
                ("source_node", S.string()), ("propagation_depth", S.integer(minimum: 0)),
                ("timestamp", S.oneOf([S.string(), S.number()])),
            ], required: ["type", "session_id", "node_id", "local_costs"],
               description: "One node's absolute view of entries of b, combined by flow_nexus.cost_aggregation.")),
            ("VerifyRequest", S.request([
                ("type", S.constant(VerifyRequest.typeName)),
                ("session_id", S.sessionID),
                ("probe_count", S.integer(minimum: VerifyRequest.probeCountRange.lowerBound,
                                          maximum: VerifyRequest.probeCountRange.upperBound)),
                ("indices", S.indices),
            ], required: ["session_id"])),
        ]
    }
}
