import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

@testable import SolverServer

/// How a ``TestApp`` is configured: open or with credentials, limits, the address requests come from.
struct AppOptions {
    /// nil: an open server, where everyone is `anonymous` (an admin).
    var authenticator: Authenticator?
    var limits = ServiceLimits()
    /// The peer address of every request and WebSocket (an open server exempts loopback from the limits).
    var remoteAddress = "127.0.0.1"
    /// Sessions held by other nodes (`FakeCluster` in the cluster tests).
    var remoteSessions: (any RemoteSessions)?
    /// Where accepted updates are made durable before their ack (cluster mode); nil: acknowledged at once.
    var journal: (any SessionJournal)?
    /// Anything else, applied last.
    var configure: (inout ServiceConfiguration) -> Void = { _ in }
}

/// A `SolverService` over its own `SessionRegistry`, driven in process: HTTP requests through ``TestExchange``,
/// WebSockets through ``TestWebSocket``. No sockets, no lws thread. Sessions are closed when the app goes away.
final class TestApp {
    static let nodeID = "solverd-test"

    let registry: SessionRegistry
    let service: SolverService
    let remoteAddress: String

    init(_ options: AppOptions = AppOptions()) {
        registry = SessionRegistry(scheduler: SessionScheduler(width: 2), journal: options.journal)
        var configuration = ServiceConfiguration()
        configuration.nodeID = Self.nodeID
        configuration.authenticator = options.authenticator
        configuration.limits = options.limits
        configuration.remoteSessions = options.remoteSessions
        options.configure(&configuration)
        service = SolverService(registry: registry, configuration: configuration)
        remoteAddress = options.remoteAddress
    }

    /// A server that requires credentials: ``TestCredentials``' static tokens and HS256 JWTs.
    static func secured(_ options: AppOptions = AppOptions()) async throws -> TestApp {
        var options = options
        options.authenticator = try await TestCredentials.authenticator()
        return TestApp(options)
    }

    deinit {
        registry.closeAll(reason: .shutdown, message: "the test finished")
    }

    // MARK: HTTP

    /// Sends one request and waits for its complete response. `target` may carry a query (`/path?a=1&b=2`).
    func request(_ method: String, _ target: String, token: String? = nil, headers: [(String, String)] = [],
                 body: [UInt8] = []) async throws -> TestResponse {
        try await send(method, target, token: token, headers: headers, body: body).response()
    }

    /// Sends one request and returns the exchange, for responses read piecewise (event streams).
    func send(_ method: String, _ target: String, token: String? = nil, headers: [(String, String)] = [],
              body: [UInt8] = []) -> TestExchange {
        var all = HTTPHeaders(headers)
        if let token { all.add(name: "authorization", value: "Bearer \(token)") }
        if !body.isEmpty, all["content-type"] == nil { all.add(name: "content-type", value: "application/json") }
        let (path, query) = Self.split(target)
        let request = HTTPRequest(method: method, path: path, query: query, headers: all, remoteAddress: remoteAddress,
                                  body: body)
        let exchange = TestExchange(isHEAD: method == "HEAD")
        service.handleHTTP(request, responder: exchange.responder)
        return exchange
    }

    func get(_ target: String, token: String? = nil) async throws -> TestResponse {
        try await request("GET", target, token: token)
    }

    func post(_ target: String, _ json: Any, token: String? = nil) async throws -> TestResponse {
        try await request("POST", target, token: token, body: jsonBytes(json))
    }

    func delete(_ target: String, token: String? = nil) async throws -> TestResponse {
        try await request("DELETE", target, token: token)
    }

    /// `/a/b?x=1&y` → ("/a/b", [("x", "1"), ("y", "")]), as lws hands them over (the tests need no escapes).
    static func split(_ target: String) -> (path: String, query: [(name: String, value: String)]) {
        let parts = target.split(separator: "?", maxSplits: 1)
        let pairs = parts.count < 2 ? [] : parts[1].split(separator: "&")
        let query = pairs.map { pair -> (name: String, value: String) in
            let nameValue = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (name: nameValue[0], value: nameValue.count > 1 ? nameValue[1] : "")
        }
        return (String(parts.first ?? ""), query)
    }

    // MARK: WebSocket

    /// The service's decision on an upgrade to `/ws/solver`.
    func upgrade(token: String? = nil, headers: [(String, String)] = [],
                 query: [(name: String, value: String)] = []) -> WebSocketUpgradeDecision {
        service.webSocketShouldAccept(upgradeRequest(token: token, headers: headers, query: query))
    }

    /// An open WebSocket, accepted the way the transport accepts one (decision, then open).
    func connect(token: String? = nil, headers: [(String, String)] = [],
                 query: [(name: String, value: String)] = []) throws -> TestWebSocket {
        let request = upgradeRequest(token: token, headers: headers, query: query)
        if case .reject(let status, _, let body) = service.webSocketShouldAccept(request) {
            throw HarnessFailure(description: "upgrade refused with \(status): \(String(decoding: body, as: UTF8.self))")
        }
        return TestWebSocket(service: service, request: request)
    }

    private func upgradeRequest(token: String?, headers: [(String, String)],
                                query: [(name: String, value: String)]) -> WebSocketUpgradeRequest {
        var all = HTTPHeaders(headers)
        if let token { all.add(name: "authorization", value: "Bearer \(token)") }
        return WebSocketUpgradeRequest(path: "/ws/solver", query: query, headers: all, remoteAddress: remoteAddress)
    }

    // MARK: Sessions

    /// Creates a session over HTTP (201 expected) and returns its id.
    func createSession(_ body: [String: Any] = TinySystem.request(), token: String? = nil) async throws -> String {
        let response = try await post("/api/v1/sessions", body, token: token)
        guard response.status == 201, let id = response.json["session_id"]?.string else {
            throw HarnessFailure(description: "session creation failed: \(response)")
        }
        return id
    }

    /// Waits until the session converged with every update up to `seq` applied; its status then.
    @discardableResult
    func converged(_ id: String, applied seq: UInt64 = 0) async throws -> SessionStatus {
        try await poll("session \(id) to converge with update \(seq) applied") {
            guard let status = registry.session(try SessionID(validating: id))?.status else {
                throw HarnessFailure(description: "session \(id) is gone")
            }
            return status.phase == .converged && status.lastAppliedSeq >= seq ? status : nil
        }
    }

    /// The session itself (for its event hub).
    func session(_ id: String) throws -> Session {
        try registry.require(try SessionID(validating: id))
    }
}
