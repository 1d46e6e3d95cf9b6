import Foundation
import MCP
import SolverServer
import SolverSession

/// The MCP streamable HTTP transport at `/mcp`, on the service's own port (a `ServiceRoute`).
///
/// Each MCP session (created by an `initialize` POST, named by the `Mcp-Session-Id` response header) has its own
/// SDK `Server` and `StatefulHTTPServerTransport`; all of them share one ``SolverToolbox`` and so the service's
/// sessions. POST carries JSON-RPC (answered as `text/event-stream`), GET opens the stream for server-initiated
/// messages, DELETE ends the MCP session (the solver sessions it created live on).
///
/// `handle` runs on the lws service thread: it only starts a task; the answer goes through the thread-safe responder.
public struct MCPRoute: ServiceRoute {
    public struct Configuration: Sendable {
        public var path = "/mcp"
        /// Browser origins allowed to call (DNS-rebinding protection); `*` allows any. Requests without `Origin`
        /// (non-browser clients) are always allowed.
        public var allowedOrigins = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*",
                                     "https://localhost:*", "https://127.0.0.1:*", "https://[::1]:*"]
        /// An MCP session without requests for this long is ended (checked when requests arrive).
        public var idleTimeout: Duration = .seconds(1800)
        /// Most concurrent MCP sessions; beyond, `initialize` is answered 503.
        public var maxSessions = 1000
        public init() {}
    }

    let configuration: Configuration
    let sessions: MCPHTTPSessions

    public init(toolbox: SolverToolbox, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.sessions = MCPHTTPSessions(factory: SolverMCPServer(toolbox: toolbox, transport: "http"),
                                        configuration: configuration)
    }

    /// The route over `registry` with the default tools and settings.
    public init(registry: SessionRegistry) {
        self.init(toolbox: SolverToolbox(registry: registry, matrixLimits: registry.limits.matrix))
    }

    public func matches(_ path: String) -> Bool {
        path == configuration.path || path == configuration.path + "/"
    }

    public func handle(_ request: SolverServer.HTTPRequest, responder: HTTPResponder) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers where headers[name] == nil { headers[name] = value }
        let mcpRequest = MCP.HTTPRequest(method: request.method, headers: headers,
                                         body: request.body.isEmpty ? nil : Data(request.body), path: request.path)
        Task { [sessions] in
            let response = await sessions.handle(mcpRequest)
            await MCPResponseWriter.write(response, to: responder)
        }
    }

    /// MCP sessions currently open (for tests and status).
    public var openSessions: Int { get async { await sessions.count } }
}
