import MCP

/// `solverd mcp`: the tools over stdin/stdout (newline-delimited JSON-RPC). Nothing else may write to stdout.
public enum SolverMCPStdio {
    /// Serves until stdin reaches EOF.
    public static func run(toolbox: SolverToolbox) async throws {
        let server = await SolverMCPServer(toolbox: toolbox, transport: "stdio").make()
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
        await server.stop()
    }
}
