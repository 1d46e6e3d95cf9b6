import SolverCore

/// A solve request's `flow_nexus` block (docs/design.md §3.1), validated and kept with the session.
public struct FlowNexusOptions: Sendable, Equatable {
    public static let topologies = ["mesh", "star", "ring", "hierarchical"]
    public static let aggregations = CostAggregation.allCases.map(\.rawValue)
    public static let strategies = ["random_probe", "full_residual", "none"]

    public var swarmTopology: String = "mesh"
    public var costAggregation: String = "weighted_average"
    public var verificationStrategy: String = "random_probe"
    /// `costAggregation` as the aggregator's mode (validated by `init`).
    public var aggregation: CostAggregation { CostAggregation(rawValue: costAggregation) ?? .weightedAverage }

    public init(swarmTopology: String = "mesh", costAggregation: String = "weighted_average",
                verificationStrategy: String = "random_probe") throws {
        func check(_ value: String, _ allowed: [String], _ field: String) throws {
            guard allowed.contains(value) else {
                throw SolverError(.invalidArgument, "'\(value)' is not one of \(allowed.joined(separator: ", "))", field: "flow_nexus.\(field)")
            }
        }
        try check(swarmTopology, Self.topologies, "swarm_topology")
        try check(costAggregation, Self.aggregations, "cost_aggregation")
        try check(verificationStrategy, Self.strategies, "verification_strategy")
        self.swarmTopology = swarmTopology
        self.costAggregation = costAggregation
        self.verificationStrategy = verificationStrategy
    }
}

/// A session's solver options (a solve request's `options`; defaults and ranges in docs/design.md §3.1).
public struct SessionOptions: Sendable, Equatable {
    public var method: MethodKind = .hybrid
    /// Relative: converged when ‖b − A x‖₂ ≤ tolerance · ‖b‖₂.
    public var tolerance: Double = 1e-8
    /// Iterations per solve (counted afresh after each applied update).
    public var maxIterations: Int = 10_000
    public var preconditioner: PreconditionerKind?
    /// Iterations between random-probe verifications (scaled by the adaptive multiplier in [0.5, 2]).
    public var verificationInterval: Int = 100
    public var probeCount: Int = 10
    public var swarmEnabled: Bool = false
    /// Consecutive iterations the residual must stay under the threshold before `convergence_signal`.
    public var convergenceIterations: Int = 3
    /// SOR relaxation for `gauss_seidel` (1 = plain Gauss–Seidel).
    public var relaxation: Double = 1
    public var flowNexus: FlowNexusOptions?

    public init() {}

    /// Checks every range; errors name the `options.` field.
    public func validate() throws {
        func fail(_ field: String, _ message: String) -> SolverError {
            SolverError(.invalidArgument, message, field: "options.\(field)")
        }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else { throw fail("tolerance", "must be in (0, 1), got \(tolerance)") }
        guard (1...10_000_000).contains(maxIterations) else { throw fail("max_iterations", "must be in 1...10000000, got \(maxIterations)") }
        guard (1...1_000_000).contains(verificationInterval) else {
            throw fail("verification_interval", "must be in 1...1000000, got \(verificationInterval)")
        }
        guard (1...100).contains(probeCount) else { throw fail("probe_count", "must be in 1...100, got \(probeCount)") }
        guard (1...1000).contains(convergenceIterations) else {
            throw fail("convergence_iterations", "must be in 1...1000, got \(convergenceIterations)")
        }
        guard relaxation > 0, relaxation < 2 else { throw fail("relaxation", "must be in (0, 2), got \(relaxation)") }
    }
}
