import MCP
import SolverCore
import SolverSession
import SolverWire

/// `solve` (the upstream solver's one-shot tool): A x = b in, x and the residual out. It runs as a session on the
/// backend (so a remote server's limits and planner apply) that is closed before the result returns, whatever
/// the outcome. Upstream's `epsilon` and `maxIterations` are read as `options.tolerance` and
/// `options.max_iterations`.
struct OneShotSolveTool: SolverTool {
    static let upstreamAliases = [("epsilon", "tolerance"), ("maxIterations", "max_iterations")]

    let definition = Tool(
        name: "solve",
        title: "Solve A x = b once",
        description: """
            Solve a sparse linear system A x = b and return x with its residual, without leaving a session behind. \
            method hybrid (default) picks from the matrix's properties: a sparse factorisation (Cholesky, LDLᵀ, LU) \
            or a preconditioned Krylov method; any method may be named. Waits up to timeout_ms; returns converged, \
            iterations, residual_norm, relative_residual, method and method_reason, and x (its first \
            max_solution_entries entries).
            """,
        inputSchema: ToolSchemas.object([
            "matrix": ToolSchemas.sparseMatrix,
            "vector": ToolSchemas.numbers.merging(["description": "The right-hand side b (length = rows)."]),
            "method": ["enum": .array(ToolSchemas.methods), "default": "hybrid"],
            "options": ToolSchemas.solveOptions,
            "x0": ToolSchemas.numbers.merging(["description": "Initial guess (default zeros)."]),
            "epsilon": ["type": "number", "exclusiveMinimum": 0, "description": "Alias of options.tolerance."],
            "maxIterations": ["type": "integer", "minimum": 1, "description": "Alias of options.max_iterations."],
            "timeout_ms": ToolSchemas.timeout.merging(["minimum": 1]),
            "max_solution_entries": [
                "type": "integer", "minimum": 0, "maximum": 1_000_000, "default": .int(SolveStreamTool.defaultSolutionEntries),
                "description": "Return at most this many entries of x (the first ones).",
            ],
        ], required: ["matrix", "vector"]))

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let fields = try JSONFields.arguments(arguments)
        var members = fields.removing(Set(["session_id", "stream_options"] + Self.upstreamAliases.map(\.0)))
        var options = try fields.object("options")?.members ?? [:]
        for (alias, name) in Self.upstreamAliases where options[name] == nil {
            if let value = fields[alias] { options[name] = value }
        }
        if !options.isEmpty { members["options"] = .object(options) }
        let limits = context.matrixLimits, request = JSONValue.object(members)
        let args = try await OffloadedWork.run { try SolveStreamTool.Arguments.decode(request, limits: limits) }
        guard args.timeout > .zero else {
            throw SolverError(.invalidArgument, "a one-shot solve waits for its answer: give a positive timeout", field: WaitTimeout.key)
        }
        let started = ContinuousClock.now
        let backend = context.backend
        let (id, outcome) = try await backend.create(args.request, body: args.body,
                                                     wait: WaitPlan(timeout: args.timeout, progress: context.progress))
        do {
            let result = try await SolveResult.read(id, from: backend, outcome: outcome, started: started,
                                                    maxEntries: args.maxSolutionEntries, type: "solve_result",
                                                    note: "Raise max_solution_entries for more.") { w in
                w.field("session_closed", true)
            }
            try? await backend.close(id)
            return result
        } catch {
            try? await backend.close(id)
            throw error
        }
    }
}
