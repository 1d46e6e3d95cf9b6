import MCP
import SolverCore
import SolverSession
import SolverWire

/// `sublinear_solver_stream` (docs/design.md §8.4): creates a live session, waits (bounded) for it to converge while
/// sending progress notifications, and returns the outcome with the solution (or its first entries for large systems).
struct SolveStreamTool: SolverTool {
    static let defaultSolutionEntries = 1000

    let definition = Tool(
        name: "sublinear_solver_stream",
        title: "Solve A x = b as a live session",
        description: """
            Stream-based sublinear time matrix solver. Creates a live session for A x = b, waits up to timeout_ms for \
            convergence (progress is reported as notifications), and returns session_id, method, iterations, residual, \
            converged and the solution x (its first max_solution_entries entries for large systems; read more with \
            solver_solution). The session stays live: push cost updates with solver_push_costs.
            """,
        inputSchema: ToolSchemas.object([
            "matrix": ToolSchemas.sparseMatrix,
            "vector": ToolSchemas.numbers.merging(["description": "The right-hand side b (length = rows)."]),
            "method": [
                "enum": .array(ToolSchemas.methods), "default": "hybrid",
                "description": "hybrid picks a method from the matrix properties.",
            ],
            "stream_options": ToolSchemas.object([
                "real_time": ["type": "boolean", "default": true,
                              "description": "Send progress notifications while solving (needs a progress token)."],
                "verification_enabled": ["type": "boolean", "default": true,
                                         "description": "Random-probe verification during the solve."],
                "swarm_coordination": ["type": "boolean", "default": false],
            ]),
            "options": ToolSchemas.solveOptions,
            "x0": ToolSchemas.numbers.merging(["description": "Initial guess (default zeros)."]),
            "session_id": ToolSchemas.sessionID.merging(["description": "Choose the new session's id (optional)."]),
            "timeout_ms": ToolSchemas.timeout,
            "max_solution_entries": [
                "type": "integer", "minimum": 0, "maximum": 1_000_000, "default": .int(defaultSolutionEntries),
                "description": "Return at most this many entries of x (the first ones).",
            ],
        ], required: ["matrix", "vector"]))

    /// The arguments: a `solve_request` plus the MCP-only members.
    struct Arguments {
        var request: SolveRequest
        /// The same request as JSON, for a backend that forwards it.
        var body: JSONValue
        var realTime: Bool
        var timeout: Duration
        var maxSolutionEntries: Int

        static let toolOnlyKeys: Set<String> = ["stream_options", "timeout_ms", "max_solution_entries", "type"]

        /// `stream_options.swarm_coordination` sets `options.swarm_enabled`; `verification_enabled: false` turns
        /// the verification strategy to `none`. The rest is decoded by `SolveRequest` with its field names.
        static func decode(_ json: JSONValue, limits: MatrixLimits) throws -> Arguments {
            let fields = try JSONFields.arguments(json)
            let stream = try fields.object("stream_options")
            var members = fields.removing(toolOnlyKeys)
            if let swarm = try stream?.bool("swarm_coordination") {
                var options = try fields.object("options")?.members ?? [:]
                options["swarm_enabled"] = .bool(swarm)
                members["options"] = .object(options)
            }
            if try stream?.bool("verification_enabled") == false {
                var block = try fields.object("flow_nexus")?.members ?? [:]
                block["verification_strategy"] = .string("none")
                members["flow_nexus"] = .object(block)
            }
            return Arguments(
                request: try SolveRequest.decode(.object(members), limits: limits), body: .object(members),
                realTime: try stream?.bool("real_time") ?? true,
                timeout: try WaitTimeout.read(fields),
                maxSolutionEntries: try fields.int("max_solution_entries", in: 0...1_000_000, default: defaultSolutionEntries))
        }
    }

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let limits = context.matrixLimits
        let args = try await OffloadedWork.run { try Arguments.decode(arguments, limits: limits) }
        let started = ContinuousClock.now
        let (id, outcome) = try await context.backend.create(
            args.request, body: args.body, wait: WaitPlan(timeout: args.timeout, progress: args.realTime ? context.progress : nil))
        return try await SolveResult.read(id, from: context.backend, outcome: outcome, started: started,
                                          maxEntries: args.maxSolutionEntries, type: "solver_result")
    }
}

/// The result of a tool that solved: the state, then `solution` (the first `maxEntries` entries of x).
enum SolveResult {
    static func read(_ id: SessionID, from backend: any SessionBackend, outcome: WaitOutcome?, started: ContinuousClock.Instant,
                     maxEntries: Int, type: String, note: String = "Read others with solver_solution (indices).",
                     extra: (inout JSONWriter) -> Void = { _ in }) async throws -> [UInt8] {
        let summary = try await backend.status(id)
        let shown = min(summary.rows, maxEntries)
        let read = try await backend.solution(id, indices: shown < summary.rows ? Array(0..<shown) : nil)
        var w = JSONWriter(reservingCapacity: 512 + read.values.count * 20)
        w.object { w in
            w.field("type", type)
            SolveState(summary: summary, read: read, outcome: outcome, started: started).write(&w)
            w.field("solution", read.values)
            w.field("solution_truncated", shown < summary.rows)
            if shown < summary.rows {
                w.field("note", "x has \(summary.rows) entries; the first \(shown) are shown. \(note)")
            }
            extra(&w)
        }
        return w.bytes
    }
}

extension Value {
    /// This object schema with `extra` members added (or replaced).
    func merging(_ extra: [String: Value]) -> Value {
        guard case .object(var members) = self else { return self }
        members.merge(extra) { _, new in new }
        return .object(members)
    }
}
