import MCP

/// Builds MCP `Server`s that expose a ``SolverToolbox``: one per stdio process, one per streamable-HTTP session.
public struct SolverMCPServer: Sendable {
    public let toolbox: SolverToolbox
    /// `stdio` or `http`, reported by `solver_status`.
    public let transport: String

    public init(toolbox: SolverToolbox, transport: String) {
        self.toolbox = toolbox
        self.transport = transport
    }

    public static let instructions = """
        solverd keeps sparse linear systems A x = b live. Start one with sublinear_solver_stream, then push cost \
        updates (solver_push_costs), verify (solver_verification), and read status or solutions. For one-off work: \
        solve (x and its residual, no session kept), estimate_entry (single entries by random walks), \
        analyze_matrix (properties, predicted costs, the method hybrid picks) and page_rank.
        """

    /// A server with the tool handlers registered, not yet started.
    public func make() async -> Server {
        let server = Server(name: "solverd", version: toolbox.version, title: "solverd sparse solver",
                            instructions: Self.instructions,
                            capabilities: .init(tools: .init(listChanged: false)))
        let toolbox = self.toolbox, transport = self.transport
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: toolbox.definitions)
        }
        await server.withMethodHandler(CallTool.self) { [weak server] params in
            let progress: ProgressSink? = params._meta?.progressToken.map { token in
                { [weak server] value, message in
                    try? await server?.notify(ProgressNotification.message(
                        .init(progressToken: token, progress: value, message: message)))
                }
            }
            return try await toolbox.call(params.name, arguments: params.arguments, transport: transport, progress: progress)
        }
        return server
    }
}
