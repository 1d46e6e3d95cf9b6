import MCP
import SolverCore
import SolverSession
import SolverWire

/// `solver_push_costs`: a `cost_update` (docs/design.md §3.4) for a live session; returns the ack seq and, when asked,
/// waits for the re-convergence that reflects it.
struct PushCostsTool: SolverTool {
    let definition = Tool(
        name: "solver_push_costs",
        title: "Push cost updates to a live session",
        description: """
            Apply a cost update to a live session: delta_costs add to entries of b, matrix_updates set entries of A \
            (optionally guarded by old_value). Returns the acknowledgement seq; with wait_for_convergence it also \
            waits up to timeout_ms for the solve that reflects this update and returns its outcome.
            """,
        inputSchema: ToolSchemas.object([
            "session_id": ToolSchemas.sessionID,
            "delta_costs": ToolSchemas.object([
                "indices": ToolSchemas.indices, "values": ToolSchemas.numbers,
            ], required: ["indices", "values"]).merging(["description": "b[indices[k]] += values[k]."]),
            "matrix_updates": [
                "type": "array",
                "items": ToolSchemas.object([
                    "row": ["type": "integer", "minimum": 0],
                    "col": ["type": "integer", "minimum": 0],
                    "old_value": ["type": "number", "description": "Applied only if A[row][col] still has this value."],
                    "new_value": ["type": "number"],
                ], required: ["row", "col", "new_value"]),
            ],
            "source_node": ["type": "string"],
            "wait_for_convergence": ["type": "boolean", "default": false],
            "timeout_ms": ToolSchemas.timeout,
        ], required: ["session_id"]))

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let fields = try JSONFields.arguments(arguments)
        let waitForConvergence = try fields.bool("wait_for_convergence") ?? false
        let timeout = try WaitTimeout.read(fields)
        let body = JSONValue.object(fields.removing(["wait_for_convergence", WaitTimeout.key]))
        let request = try CostUpdateRequest.decode(body)
        let started = ContinuousClock.now
        let (seq, outcome) = try await context.backend.push(
            request, body: body, wait: waitForConvergence ? WaitPlan(timeout: timeout, progress: context.progress) : nil)
        var w = JSONWriter()
        guard waitForConvergence else {
            w.object { w in
                w.field("type", "ack")
                w.field("session_id", request.sessionID.rawValue)
                w.field("seq", seq)
                w.field("waited", false)
            }
            return w.bytes
        }
        let summary = try await context.backend.status(request.sessionID)
        let read = try await context.backend.solution(request.sessionID, indices: [])
        w.object { w in
            w.field("type", "ack")
            w.field("seq", seq)
            SolveState(summary: summary, read: read, outcome: outcome, started: started).write(&w)
            w.field("update_applied", read.lastAppliedSeq >= seq)
        }
        return w.bytes
    }
}
