import Foundation
import MCP
import SolverWire

/// The open MCP sessions of the HTTP transport, by `Mcp-Session-Id`.
actor MCPHTTPSessions {
    private struct Entry {
        let server: Server
        let transport: StatefulHTTPServerTransport
        var lastUsed: ContinuousClock.Instant
    }

    /// Gives the transport the id chosen here, so the entry can be stored under it.
    private struct FixedSessionID: SessionIDGenerator {
        let id: String
        func generateSessionID() -> String { id }
    }

    private var entries: [String: Entry] = [:]
    private let factory: SolverMCPServer
    private let configuration: MCPRoute.Configuration
    private let validation: StandardValidationPipeline

    init(factory: SolverMCPServer, configuration: MCPRoute.Configuration) {
        self.factory = factory
        self.configuration = configuration
        self.validation = StandardValidationPipeline(validators: [
            MCPOriginValidator(allowedOrigins: configuration.allowedOrigins),
            AcceptHeaderValidator(mode: .sseRequired),
            ContentTypeValidator(),
            ProtocolVersionValidator(),
            SessionValidator(),
        ])
    }

    var count: Int { entries.count }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await expireIdle()
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard var entry = entries[id] else {
                return .error(statusCode: 404, .invalidRequest("Not Found: no MCP session \(id) (ended or expired)"))
            }
            entry.lastUsed = .now
            entries[id] = entry
            let response = await entry.transport.handleRequest(request)
            if request.method == "DELETE", response.statusCode == 200, let ended = entries.removeValue(forKey: id) {
                await ended.server.stop()
            }
            return response
        }
        guard request.method == "POST", Self.isInitialize(request.body) else {
            return .error(statusCode: 400,
                          .invalidRequest("Bad Request: send initialize first, then the \(HTTPHeaderName.sessionID) header it returns"))
        }
        guard entries.count < configuration.maxSessions else {
            return .error(statusCode: 503, .internalError("Service Unavailable: \(configuration.maxSessions) MCP sessions are open"))
        }
        return await open(request)
    }

    private func open(_ request: HTTPRequest) async -> HTTPResponse {
        let id = UUID().uuidString.lowercased()
        let transport = StatefulHTTPServerTransport(sessionIDGenerator: FixedSessionID(id: id), validationPipeline: validation)
        let server = await factory.make()
        do {
            try await server.start(transport: transport)
        } catch {
            await server.stop()
            return .error(statusCode: 500, .internalError("cannot start the MCP session: \(error)"))
        }
        let response = await transport.handleRequest(request)
        if case .error = response {
            await server.stop()
        } else {
            entries[id] = Entry(server: server, transport: transport, lastUsed: .now)
        }
        return response
    }

    /// Ends sessions idle for longer than the configured timeout.
    private func expireIdle() async {
        let cutoff = ContinuousClock.now - configuration.idleTimeout
        let idle = entries.filter { $0.value.lastUsed < cutoff }.map(\.key)
        for id in idle {
            if let entry = entries.removeValue(forKey: id) { await entry.server.stop() }
        }
    }

    /// Whether a POST body is a JSON-RPC `initialize` request.
    static func isInitialize(_ body: Data?) -> Bool {
        guard let body, let json = try? JSONReader.parse([UInt8](body)) else { return false }
        return json["method"] == .string("initialize") && json["id"] != nil
    }
}

/// Refuses browser requests from origins not on the list (`*` allows any); requests without `Origin` pass.
struct MCPOriginValidator: HTTPRequestValidator {
    let allowedOrigins: [String]

    func validate(_ request: HTTPRequest, context: HTTPValidationContext) -> HTTPResponse? {
        guard let origin = request.header(HTTPHeaderName.origin), !allowedOrigins.contains("*") else { return nil }
        guard !allowedOrigins.contains(where: { Self.matches(origin, $0) }) else { return nil }
        return .error(statusCode: 403, .invalidRequest("Forbidden: origin \(origin) is not allowed"), sessionID: context.sessionID)
    }

    /// `pattern` is exact, or ends in `:*` for any port.
    static func matches(_ origin: String, _ pattern: String) -> Bool {
        guard pattern.hasSuffix(":*") else { return origin == pattern }
        let prefix = pattern.dropLast(1)
        guard origin.hasPrefix(prefix) else { return false }
        let port = origin.dropFirst(prefix.count)
        return !port.isEmpty && port.allSatisfy(\.isNumber)
    }
}
