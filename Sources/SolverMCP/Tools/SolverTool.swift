import MCP
import SolverCore
import SolverSession
import SolverWire

/// One MCP tool over the live sessions. Tools are transport-agnostic: stdio and streamable HTTP reach the same
/// values through ``SolverToolbox``.
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

/// What a tool call may use.
struct ToolContext: Sendable {
    let registry: SessionRegistry
    let matrixLimits: MatrixLimits
    /// `stdio` or `http`, reported by `solver_status`.
    let transport: String
    /// Reports progress of this call (`notifications/progress`); nil when the client sent no progress token.
    let progress: ProgressSink?
}

/// Sends one progress notification: a value that grows with each call, and a human-readable message.
public typealias ProgressSink = @Sendable (_ progress: Double, _ message: String) async -> Void
