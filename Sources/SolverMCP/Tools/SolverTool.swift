import MCP
import SolverCore
import SolverSession
import SolverWire

/// One MCP tool. Tools are transport-agnostic (stdio and streamable HTTP reach the same values through
/// ``SolverToolbox``) and backend-agnostic: live sessions are reached through `context.backend`.
///
/// `call` receives the `arguments` object as SolverWire JSON and returns one encoded JSON object (the tool's
/// structured result). It throws `SolverError` for anything the client can fix; the toolbox turns that into an MCP
/// tool error (`isError: true`) carrying `code`, `message` and `field`.
protocol SolverTool: Sendable {
    var definition: Tool { get }
    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8]
}

extension SolverTool {
    var name: String { definition.name }
}

/// A tool computed in this process from its arguments alone (no session, whatever the backend), on a Dispatch
/// queue: the O(nnz) work stays off the cooperative threads.
protocol OfflineTool: SolverTool {
    func compute(_ fields: JSONFields, limits: MatrixLimits) throws -> [UInt8]
}

extension OfflineTool {
    func call(_ arguments: JSONValue, context: ToolContext) async throws -> [UInt8] {
        let limits = context.matrixLimits
        return try await OffloadedWork.run { try compute(JSONFields.arguments(arguments), limits: limits) }
    }
}

/// What a tool call may use.
struct ToolContext: Sendable {
    let backend: any SessionBackend
    let matrixLimits: MatrixLimits
    /// `stdio` or `http`, reported by `solver_status`.
    let transport: String
    /// Reports progress of this call (`notifications/progress`); nil when the client sent no progress token.
    let progress: ProgressSink?
}

/// Sends one progress notification: a value that grows with each call, and a human-readable message.
public typealias ProgressSink = @Sendable (_ progress: Double, _ message: String) async -> Void
