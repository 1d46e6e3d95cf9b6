import MCP
import SolverCore
import SolverWire

/// `estimate_entry` (the upstream solver's `estimateEntry`; `solverd estimate` on the command line): random-walk
/// Monte Carlo estimates of single coordinates of x, whose cost does not depend on the size of the system. Computed
/// in this process (no session); upstream's `row` is read as `index`.
struct EstimateEntryTool: OfflineTool {
    static let maxIndices = 1000

    let definition = Tool(
        name: "estimate_entry",
        title: "Estimate single entries of x by random walks",
        description: """
            Estimate x_i of A x = b for one or a few indices without solving the whole system: Ulam–von Neumann \
            random walks on I − D⁻¹A, cost independent of n. Needs strict row diagonal dominance on the rows the \
            walks visit. Returns each estimate with its standard error and 95% confidence interval.
            """,
        inputSchema: ToolSchemas.object([
            "matrix": ToolSchemas.sparseMatrix,
            "vector": ToolSchemas.numbers.merging(["description": "The right-hand side b (default: all ones)."]),
            "index": ["type": "integer", "minimum": 0, "description": "The coordinate i to estimate (0-based)."],
            "row": ["type": "integer", "minimum": 0, "description": "Alias of index (upstream name)."],
            "indices": ToolSchemas.indices.merging(["description": "Several coordinates at once (at most 1000)."]),
            "walks": ["type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 10_000],
            "seed": ["type": "integer", "minimum": 0, "default": 1],
            "max_walk_length": ["type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1000],
        ], required: ["matrix"]),
        annotations: .init(readOnlyHint: true))

    func compute(_ fields: JSONFields, limits: MatrixLimits) throws -> [UInt8] {
        let walks = try fields.int("walks", in: 1...1_000_000, default: 10_000)
        let seed = try fields.int("seed", in: 0...Int.max, default: 1)
        let maxLength = try fields.int("max_walk_length", in: 1...1_000_000, default: 1000)
        let (indices, field) = try Self.indices(fields)
        let matrix = try fields.required("matrix") { try fields.matrix($0, limits: limits) }
        let b = try fields.doubles("vector") ?? [Double](repeating: 1, count: matrix.rows)
        let system = try LiveSystem(matrix: matrix, b: b)
        for (k, i) in indices.enumerated() where !(0..<matrix.rows).contains(i) {
            throw SolverError(.indexOutOfRange, "\(i) is outside 0..<\(matrix.rows)", field: field(k))
        }
        var estimator = RandomWalkEstimator(seed: UInt64(seed), maxWalkLength: maxLength)
        let start = ContinuousClock.now
        let estimates = try indices.map { try estimator.estimate(system, index: $0, walks: walks) }
        return WireEncoder.entryEstimates(estimates, seconds: (ContinuousClock.now - start).seconds)
    }

    /// `index` (or `row`) or `indices`, with the field name of the k-th for errors.
    static func indices(_ fields: JSONFields) throws -> ([Int], (Int) -> String) {
        if let many = try fields.ints("indices") {
            guard !many.isEmpty, many.count <= maxIndices else {
                throw SolverError(.invalidArgument, "give 1 to \(maxIndices) indices, got \(many.count)", field: "indices")
            }
            return (many, { "indices[\($0)]" })
        }
        let key = fields.contains("index") || !fields.contains("row") ? "index" : "row"
        let one = try fields.required(key) { try fields.int($0) }
        return ([one], { _ in key })
    }
}
