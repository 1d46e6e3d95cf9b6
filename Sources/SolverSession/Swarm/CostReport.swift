import SolverCore

/// One node's `cost_report` (docs/design.md §7.1): the values it observes for entries of `b`, with its confidence.
/// Unlike a `cost_update` delta these are absolute: reports of several nodes for the same entry are combined with the
/// session's `cost_aggregation` (`CostAggregator`), and the combined value replaces `b[i]`.
public struct CostReport: Sendable, Equatable {
    /// The reporting node; its latest report per entry is what counts.
    public var nodeID: String
    public var indices: [Int]
    public var values: [Double]
    /// `computation_confidence` in (0, 1]: the weight of the report under `weighted_average`.
    public var confidence: Double
    /// `network_latency` the node measured (ms), informational.
    public var networkLatencyMs: Double?

    public init(nodeID: String, indices: [Int], values: [Double], confidence: Double = 1, networkLatencyMs: Double? = nil) {
        self.nodeID = nodeID
        self.indices = indices
        self.values = values
        self.confidence = confidence
        self.networkLatencyMs = networkLatencyMs
    }

    /// Lengths, ranges, finiteness, confidence; errors name the wire fields.
    func validate(dimension n: Int) throws {
        guard !nodeID.isEmpty, nodeID.utf8.count <= 128 else {
            throw SolverError(.invalidArgument, "node_id must be 1...128 bytes", field: "node_id")
        }
        guard indices.count == values.count else {
            throw SolverError(.dimensionMismatch,
                              "local_costs.indices has \(indices.count) entries but local_costs.values has \(values.count)",
                              field: "local_costs.values")
        }
        guard !indices.isEmpty else { throw SolverError(.invalidArgument, "a cost_report needs at least one entry", field: "local_costs") }
        for (k, i) in indices.enumerated() where i < 0 || i >= n {
            throw SolverError(.indexOutOfRange, "index \(i) is outside 0..<\(n)", field: "local_costs.indices[\(k)]")
        }
        for (k, v) in values.enumerated() where !v.isFinite {
            throw SolverError(.nonFinite, "value is NaN or infinite", field: "local_costs.values[\(k)]")
        }
        guard confidence.isFinite, confidence > 0, confidence <= 1 else {
            throw SolverError(.invalidArgument, "must be in (0, 1], got \(confidence)", field: "computation_confidence")
        }
        if let latency = networkLatencyMs, !(latency.isFinite && latency >= 0) {
            throw SolverError(.invalidArgument, "must be a finite number ≥ 0", field: "network_latency")
        }
    }
}
