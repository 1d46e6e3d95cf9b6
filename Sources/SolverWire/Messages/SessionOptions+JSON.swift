import SolverCore
import SolverSession

/// Reads `method`, `options` and `flow_nexus` of a solve request (docs/design.md §3.1) into `SessionOptions`.
/// Unknown option keys are ignored (clients written for other servers send options of their own); known keys
/// with the wrong JSON type are `invalid_type`; ranges are checked by `SessionOptions.validate()`.
extension SessionOptions {
    init(request: JSONFields) throws {
        self.init()
        if let name = try request.string("method") {
            method = try MethodKind.parse(name, field: request.fieldName("method"))
        }
        if let options = try request.object("options") {
            try read(options)
        }
        if let block = try request.object("flow_nexus") {
            let defaults = try FlowNexusOptions()
            flowNexus = try FlowNexusOptions(
                swarmTopology: try block.string("swarm_topology") ?? defaults.swarmTopology,
                costAggregation: try block.string("cost_aggregation") ?? defaults.costAggregation,
                verificationStrategy: try block.string("verification_strategy") ?? defaults.verificationStrategy)
        }
        try validate()
    }

    private mutating func read(_ options: JSONFields) throws {
        if let v = try options.double("tolerance") { tolerance = v }
        if let v = try options.int("max_iterations") { maxIterations = v }
        if let name = try options.string("preconditioner") {
            preconditioner = try PreconditionerKind.parse(name, field: options.fieldName("preconditioner"))
        }
        if let v = try options.bool("swarm_enabled") { swarmEnabled = v }
        if let v = try options.int("verification_interval") { verificationInterval = v }
        if let v = try options.int("probe_count") { probeCount = v }
        if let v = try options.int("convergence_iterations") { convergenceIterations = v }
        // `omega` is the usual SOR name; `relaxation` is ours. Either sets the same value.
        if let v = try options.double("relaxation") ?? options.double("omega") { relaxation = v }
    }
}
