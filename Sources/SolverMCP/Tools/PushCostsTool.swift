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
        let request = try CostUpdateRequest.decode(.object(fields.removing(["wait_for_convergence", WaitTimeout.key])))
        let session = try context.registry.require(request.sessionID)
        let watch = SolveWatch(session: session)
        if waitForConvergence { try watch.waiter.attach(replayFromStart: false) { session.status } }
        let seq: UInt64
        do {
            seq = try await session.acknowledged(request.update) { watch.waiter.expect(update: $0) }
        } catch {
            watch.waiter.detach()
            throw error
        }
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
        let outcome = try await watch.wait(timeout: timeout, progress: context.progress)
        let read = try await session.solution(indices: [])
        w.object { w in
            w.field("type", "ack")
            w.field("seq", seq)
            watch.writeState(&w, read: read, outcome: outcome)
            w.field("update_applied", read.lastAppliedSeq >= seq)
        }
        return w.bytes
    }
}
