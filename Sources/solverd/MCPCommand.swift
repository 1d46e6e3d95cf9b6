import ArgumentParser
import Dispatch
import Foundation
import SolverMCP
import SolverSession

/// `solverd mcp`: the MCP tools over stdio (newline-delimited JSON-RPC on stdin/stdout). Sessions live in this
/// process, or with `--server URL` on a running `solverd serve`, over its HTTP API (created there, visible to
/// every other client of that server). Exits when stdin closes. Diagnostics go to stderr; stdout carries only MCP
/// messages.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the MCP tools over stdio (for AI agents); sessions live in this process or on --server."
    )

    @Option(name: .customLong("max-sessions"), help: "Most live sessions (in-process only).")
    var maxSessions: Int = 1000

    @Option(name: .customLong("idle-timeout"), help: "Seconds without activity before a session is closed (in-process only).")
    var idleTimeout: Double = 600

    @Option(name: .long, help: "Work on this solverd server's sessions over its HTTP API, e.g. http://127.0.0.1:3000.")
    var server: String?

    @Option(name: .long, help: "Bearer token for --server (default: $SOLVERD_TOKEN).")
    var token: String?

    func validate() throws {
        guard maxSessions > 0, idleTimeout > 0 else { throw ValidationError("limits must be positive") }
        if token != nil, server == nil { throw ValidationError("--token needs --server") }
        if let server { _ = try Self.serverURL(server) }
    }

    /// An http(s) URL with a host; a trailing `/` is dropped so paths append cleanly.
    static func serverURL(_ text: String) throws -> URL {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              url.host?.isEmpty == false else {
            throw ValidationError("--server must be an http:// or https:// URL with a host, got '\(text)'")
        }
        return url
    }

    func run() throws {
        let toolbox: SolverToolbox
        var registry: SessionRegistry?
        if let server {
            let token = token ?? ProcessInfo.processInfo.environment["SOLVERD_TOKEN"]
            toolbox = SolverToolbox(backend: HTTPSessionBackend(server: try Self.serverURL(server), token: token))
        } else {
            var limits = SessionLimits()
            limits.maxSessions = maxSessions
            limits.idleTimeout = idleTimeout
            let local = SessionRegistry(limits: limits)
            registry = local
            toolbox = SolverToolbox(registry: local, matrixLimits: limits.matrix)
        }
        Task { [registry] in
            var status: Int32 = 0
            do {
                try await SolverMCPStdio.run(toolbox: toolbox)
            } catch {
                FileHandle.standardError.write(Data("solverd mcp: \(error)\n".utf8))
                status = 1
            }
            // In-process sessions end with the client; a server's sessions live on there.
            registry?.closeAll(reason: .shutdown, message: "the MCP client disconnected")
            Foundation.exit(status)
        }
        dispatchMain()
    }
}
