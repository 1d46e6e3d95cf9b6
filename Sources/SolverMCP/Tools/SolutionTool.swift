import MCP
import SolverCore
import SolverSession
import SolverWire

/// `solver_solution`: a session's current x, whole or at `indices`, read between two solver steps.
struct SolutionTool: SolverTool {
    static let defaultMaxEntries = 10_000

    let definition = Tool(
        name: "solver_solution",
        title: "Read a session's solution",
        description: """
            Read the current solution x of a session: the entries at indices, or the whole vector (its first \
            max_entries entries for large systems). Includes iteration, residual, phase and the seq of the last \
            applied update.
            """,
        inputSchema: ToolSchemas.object([
            "session_id": ToolSchemas.sessionID,
            "indices": ToolSchemas.indices.merging(["description": "Entries to read (default: all)."]),
            "max_entries": [
                "type": "integer", "minimum": 1, "maximum": 1_000_000, "default": .int(defaultMaxEntries),
                "description": "Without indices, return at most this many entries (the first ones).",
            ],
        ], required: ["session_id"]),
        annotations: .init(readOnlyHint: true))

    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let fields = try JSONFields.arguments(arguments)
        let id = try fields.requiredSessionID()
        let indices = try fields.ints("indices")
        let maxEntries = try fields.int("max_entries", in: 1...1_000_000, default: Self.defaultMaxEntries)
        let rows = indices == nil ? try await context.backend.status(id).rows : 0
        let truncated = indices == nil && rows > maxEntries
        let read = try await context.backend.solution(id, indices: truncated ? Array(0..<maxEntries) : indices)
        let body = WireEncoder.solution(read, sessionID: id)
        guard truncated else { return body }
        return JSONSplice.appending(to: body) { w in
            w.field("truncated", true)
            w.field("rows", rows)
            w.field("note", "x has \(rows) entries; the first \(maxEntries) are shown. Pass indices for others.")
        }
    }
}

/// Adds members to an encoded JSON object without re-encoding it.
enum JSONSplice {
    static func appending(to object: [UInt8], _ members: (inout JSONWriter) -> Void) -> [UInt8] {
        var extra = JSONWriter()
        extra.object(members)
        guard object.last == UInt8(ascii: "}"), extra.bytes.count > 2 else { return object }
        let separator: [UInt8] = object.count > 2 ? [UInt8(ascii: ",")] : []
        return object.dropLast() + separator + extra.bytes.dropFirst()
    }
}
