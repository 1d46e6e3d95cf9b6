import MCP
import SolverCore
import SolverSession
import SolverWire

/// `solver_status`: one session's status, or (without `session_id`) the service's: its sessions and their state.
struct StatusTool: SolverTool {
    let version: String

    var definition: Tool {
        Tool(
            name: "solver_status",
            title: "Session or service status",
            description: """
                With session_id: the session's status (phase, method, iteration, residual, verification, updates, \
                memory). Without: the service status with every live session's id, phase and residual.
                """,
            inputSchema: ToolSchemas.object(["session_id": ToolSchemas.sessionID]),
            annotations: .init(readOnlyHint: true))
    }

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let fields = try JSONFields.arguments(arguments)
        if let id = try fields.sessionID() {
            return try await context.backend.status(id).json
        }
        let service = try await context.backend.service()
        var w = JSONWriter(reservingCapacity: 256 + service.sessions.count * 160)
        w.object { w in
            w.field("type", "service_status")
            w.field("version", version)
            w.field("transport", context.transport)
            w.field("backend", context.backend.location)
            w.field("session_count", service.sessions.count)
            w.field("memory_bytes", service.memoryBytes)
            w.field("scheduler_width", service.schedulerWidth)
            w.key("sessions")
            w.array { w in
                for s in service.sessions {
                    w.object { w in
                        w.field("session_id", s.sessionID)
                        w.field("phase", s.phase)
                        w.field("rows", s.rows)
                        w.field("method", s.method)
                        w.field("iteration", s.iteration)
                        w.field("relative_residual", s.relativeResidual)
                    }
                }
            }
        }
        return w.bytes
    }
}
