import MCP
import SolverCore
import SolverSession
import SolverWire

/// `solver_verification` (docs/design.md §8.4): random-probe verification of a session's current solution, now.
struct VerificationTool: SolverTool {
    let definition = Tool(
        name: "solver_verification",
        title: "Verify a session's solution",
        description: """
            Verify solution accuracy with random probes: recomputes rows of b − A x for probe_count random rows (or \
            the given indices) and returns the verification_result (verified, max_error, estimated residual, drift).
            """,
        inputSchema: ToolSchemas.object([
            "session_id": ToolSchemas.sessionID,
            "probe_count": [
                "type": "integer", "minimum": .int(VerifyRequest.probeCountRange.lowerBound),
                "maximum": .int(VerifyRequest.probeCountRange.upperBound),
                "description": "Rows to probe (default: the session's probe_count).",
            ],
            "indices": ToolSchemas.indices.merging(["description": "Probe exactly these rows instead."]),
        ], required: ["session_id"]),
        annotations: .init(readOnlyHint: true))

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let request = try VerifyRequest.decode(arguments)
        return try await context.backend.verify(request.sessionID, probeCount: request.probeCount, indices: request.indices)
    }
}
