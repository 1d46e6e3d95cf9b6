import SolverCore

/// One `cost_update` (docs/design.md §3.4): additive changes to `b` (`delta_costs`: `b[i] += value`) and new values for
/// entries of `A` (`matrix_updates`, each optionally guarded by `old_value`). Applied atomically: all of it or,
/// when an `old_value` does not match, none of it.
public struct CostUpdate: Sendable, Equatable {
    public struct MatrixEntryUpdate: Sendable, Equatable {
        public var row: Int
        public var col: Int
        public var oldValue: Double?
        public var newValue: Double
        public init(row: Int, col: Int, oldValue: Double? = nil, newValue: Double) {
            self.row = row
            self.col = col
            self.oldValue = oldValue
            self.newValue = newValue
        }
    }

    public var deltaIndices: [Int]
    public var deltaValues: [Double]
    public var matrixUpdates: [MatrixEntryUpdate]
    public var sourceNode: String?
    public var propagationDepth: Int?
    public var timestamp: String?
    /// A swarm `cost_report` (docs/design.md §7.1): absolute values, combined with other nodes' to replace `b[i]`.
    public var report: CostReport?

    public init(deltaIndices: [Int] = [], deltaValues: [Double] = [], matrixUpdates: [MatrixEntryUpdate] = [],
                sourceNode: String? = nil, propagationDepth: Int? = nil, timestamp: String? = nil, report: CostReport? = nil) {
        self.report = report
        self.deltaIndices = deltaIndices
        self.deltaValues = deltaValues
        self.matrixUpdates = matrixUpdates
        self.sourceNode = sourceNode
        self.propagationDepth = propagationDepth
        self.timestamp = timestamp
    }

    /// Number of entries it changes.
    public var entryCount: Int { deltaIndices.count + matrixUpdates.count + (report?.indices.count ?? 0) }

    /// Checks everything that does not depend on the live values: lengths, ranges, finiteness. `old_value` is checked
    /// when the update is applied, against the values then current.
    public func validate(dimension n: Int, maxEntries: Int = 1_000_000) throws {
        guard deltaIndices.count == deltaValues.count else {
            throw SolverError(.dimensionMismatch,
                              "delta_costs.indices has \(deltaIndices.count) entries but delta_costs.values has \(deltaValues.count)",
                              field: "delta_costs.values")
        }
        try report?.validate(dimension: n)
        guard entryCount > 0 else {
            throw SolverError(.invalidArgument, "a cost_update needs delta_costs or matrix_updates", field: "delta_costs")
        }
        guard entryCount <= maxEntries else {
            throw SolverError(.tooLarge, "\(entryCount) entries exceed the limit of \(maxEntries) per update", field: "delta_costs")
        }
        for (k, i) in deltaIndices.enumerated() where i < 0 || i >= n {
            throw SolverError(.indexOutOfRange, "index \(i) is outside 0..<\(n)", field: "delta_costs.indices[\(k)]")
        }
        for (k, v) in deltaValues.enumerated() where !v.isFinite {
            throw SolverError(.nonFinite, "value is NaN or infinite", field: "delta_costs.values[\(k)]")
        }
        for (k, u) in matrixUpdates.enumerated() {
            let field = "matrix_updates[\(k)]"
            if u.row < 0 || u.row >= n { throw SolverError(.indexOutOfRange, "row \(u.row) is outside 0..<\(n)", field: "\(field).row") }
            if u.col < 0 || u.col >= n { throw SolverError(.indexOutOfRange, "col \(u.col) is outside 0..<\(n)", field: "\(field).col") }
            if !u.newValue.isFinite { throw SolverError(.nonFinite, "value is NaN or infinite", field: "\(field).new_value") }
            if let old = u.oldValue, !old.isFinite { throw SolverError(.nonFinite, "value is NaN or infinite", field: "\(field).old_value") }
        }
        if let depth = propagationDepth, depth < 0 || depth > 64 {
            throw SolverError(.invalidArgument, "must be in 0...64", field: "propagation_depth")
        }
    }

    /// Applies the update to `system`, all or nothing: every `old_value` is checked first (against the values as
    /// they will be when the earlier entries of this same update are applied), then every change is made. A report
    /// is combined with the earlier ones in `aggregator` and each combined value replaces its `b[i]`; the combined
    /// entries are returned.
    func apply(to system: LiveSystem, aggregator: inout CostAggregator, mode: CostAggregation) throws -> [CostAggregator.Combined] {
        var staged: [Int: Double] = [:]
        for (k, u) in matrixUpdates.enumerated() {
            let key = u.row * system.dimension + u.col
            let current = staged[key] ?? system.entry(row: u.row, col: u.col)
            if let old = u.oldValue, abs(old - current) > 1e-12 * max(1, abs(current)) {
                throw SolverError(.oldValueMismatch,
                                  "A[\(u.row)][\(u.col)] is \(current), not the stated old_value \(old); the update was not applied",
                                  field: "matrix_updates[\(k)].old_value")
            }
            staged[key] = u.newValue
        }
        if let report, aggregator.wouldExceed(report, limit: CostAggregator.limit(dimension: system.dimension)) {
            throw SolverError(.capacityExceeded,
                              "the session holds \(CostAggregator.limit(dimension: system.dimension)) reported costs already; reports from new nodes are refused (nodes that reported before may report again)",
                              field: "node_id")
        }
        for (i, v) in zip(deltaIndices, deltaValues) { try system.addToRightHandSide(i, v) }
        for u in matrixUpdates { try system.setEntry(row: u.row, col: u.col, to: u.newValue) }
        guard let report else { return [] }
        let combined = aggregator.ingest(report, as: mode)
        for c in combined { try system.addToRightHandSide(c.index, c.value - system.b[c.index], field: "local_costs") }
        return combined
    }
}
