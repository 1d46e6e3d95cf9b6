import ArgumentParser
import Dispatch
import Foundation
import SolverMCP
import SolverSession

/// `solverd mcp`: the MCP tools over stdio (newline-delimited JSON-RPC on stdin/stdout) with an in-process session
/// registry and no network. Exits when stdin closes. Diagnostics go to stderr; stdout carries only MCP messages.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the MCP tools over stdio (for AI agents); sessions live in this process."
    )

    @Option(name: .customLong("max-sessions"), help: "Most live sessions.")
    var maxSessions: Int = 1000

    @Option(name: .customLong("idle-timeout"), help: "Seconds without activity before a session is closed.")
    var idleTimeout: Double = 600

    func validate() throws {
        guard maxSessions > 0, idleTimeout > 0 else { throw ValidationError("limits must be positive") }
    }

    func run() throws {
        var limits = SessionLimits()
        limits.maxSessions = maxSessions
        limits.idleTimeout = idleTimeout
        let registry = SessionRegistry(limits: limits)
        let toolbox = SolverToolbox(registry: registry, matrixLimits: limits.matrix)
        Task {
            var status: Int32 = 0
            do {
                try await SolverMCPStdio.run(toolbox: toolbox)
            } catch {
                FileHandle.standardError.write(Data("solverd mcp: \(error)\n".utf8))
                status = 1
            }
            registry.closeAll(reason: .shutdown, message: "the MCP client disconnected")
            Foundation.exit(status)
        }
        dispatchMain()
    }
}
