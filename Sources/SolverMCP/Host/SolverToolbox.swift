import Foundation
import MCP
import SolverCore
import SolverServer
import SolverSession
import SolverWire

/// The solverd MCP tools over one `SessionBackend` (this process's registry, or a server's HTTP API), shared by
/// every transport (stdio, streamable HTTP).
///
/// A tool's result is one JSON object, sent both as `structuredContent` and as its text (for clients that read only
/// `content`). A `SolverError` becomes a tool error (`isError: true`) whose JSON is the HTTP API's error body,
/// `{"error":{"code","message","field"}}`; an unknown tool name is a JSON-RPC `invalid_params` error.
public struct SolverToolbox: Sendable {
    public let backend: any SessionBackend
    public let matrixLimits: MatrixLimits
    public let version: String
    let tools: [any SolverTool]

    public init(backend: any SessionBackend, matrixLimits: MatrixLimits = MatrixLimits(), version: String = SolverdVersion.number) {
        self.backend = backend
        self.matrixLimits = matrixLimits
        self.version = version
        self.tools = [SolveStreamTool(), VerificationTool(), PushCostsTool(), StatusTool(version: version), SolutionTool(),
                      OneShotSolveTool(), EstimateEntryTool(), AnalyzeMatrixTool(), PageRankTool()]
    }

    /// The tools over this process's sessions.
    public init(registry: SessionRegistry, matrixLimits: MatrixLimits = MatrixLimits(), version: String = SolverdVersion.number) {
        self.init(backend: InProcessBackend(registry: registry), matrixLimits: matrixLimits, version: version)
    }

    public var definitions: [Tool] { tools.map(\.definition) }

    /// Runs tool `name`. Throws only for an unknown tool; every other failure is a tool error in the result.
    public func call(_ name: String, arguments: [String: Value]?, transport: String,
                     progress: ProgressSink?) async throws -> CallTool.Result {
        guard let tool = tools.first(where: { $0.name == name }) else {
            throw MCPError.invalidParams("unknown tool '\(name)'; tools: \(tools.map(\.name).joined(separator: ", "))")
        }
        let context = ToolContext(backend: backend, matrixLimits: matrixLimits, transport: transport, progress: progress)
        do {
            return try Self.result(try await tool.call(JSONValue(arguments: arguments), context: context), isError: false)
        } catch let error as SolverError {
            return try Self.result(WireEncoder.errorBody(error), isError: true)
        } catch {
            FileHandle.standardError.write(Data("solverd mcp: \(name) failed: \(error)\n".utf8))
            return try Self.result(WireEncoder.errorBody(SolverError(.internal, "internal error")), isError: true)
        }
    }

    static func result(_ json: [UInt8], isError: Bool) throws -> CallTool.Result {
        let structured: Value? = try Value(jsonBytes: json)
        return CallTool.Result(content: [.text(text: String(decoding: json, as: UTF8.self), annotations: nil, _meta: nil)],
                               structuredContent: structured, isError: isError ? true : nil)
    }
}
