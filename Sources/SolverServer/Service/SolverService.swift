import Dispatch
import Foundation
import Logging
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire
import Synchronization

/// The routes and WebSocket protocol of solverd on top of the transport.
///
/// Every `TransportHandler` call arrives on the lws service thread and returns at once: cheap work (decoding a
/// small message, queueing an update) happens inline; anything O(nnz) (creating a session, reading a whole
/// solution) runs on a Dispatch queue and answers through the thread-safe responder or connection.
public final class SolverService: TransportHandler, @unchecked Sendable {
    public let registry: SessionRegistry
    public let configuration: ServiceConfiguration
    let streams: StreamRegistry
    let metrics = ServiceMetrics()
    let gate: RequestGate
    let access = SessionAccess()
    var logger: Logger { configuration.logger }
    let startedAt = EventClock.now()
    let clients = Mutex<[UInt64: WebSocketClient]>([:])
    let draining = Atomic<Bool>(false)
    /// Session creation and other O(nnz) work.
    let work = DispatchQueue(label: "solverd.service.work", attributes: .concurrent)
    /// `GET /api/v1/openapi.json`, written once.
    let openAPIBody: [UInt8]

    public init(registry: SessionRegistry, configuration: ServiceConfiguration = ServiceConfiguration()) {
        self.registry = registry
        self.configuration = configuration
        self.streams = StreamRegistry(heartbeatInterval: configuration.heartbeatInterval)
        self.openAPIBody = Array(OpenAPIDocument.json(version: configuration.version).utf8)
        self.gate = RequestGate(authenticator: configuration.authenticator, limits: configuration.limits, metrics: metrics,
                                logger: configuration.logger)
        // Other nodes relay reads of the sessions held here; they are answered like this node's own routes.
        configuration.remoteSessions?.answerQueries { [weak self] query, id, principal, completion in
            guard let self else { return completion(.failure(SolverError(.draining, "the server is shutting down"))) }
            answerLocally(query, about: id, principal: principal, completion: completion)
        }
    }

    // MARK: HTTP

    public func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        metrics.httpRequests.increment()
        metrics.bytesIn.increment(by: request.body.count)
        let acceptsGzip = (request.headers["accept-encoding"] ?? "").contains("gzip")
        let verdict: OriginPolicy.Verdict
        do {
            verdict = try configuration.originPolicy.admit(request.headers)
        } catch {
            metrics.reject(error.reason)
            Reply(responder: responder, cors: [], metrics: metrics, acceptsGzip: acceptsGzip).refuse(error)
            return
        }
        let reply = Reply(responder: responder, cors: verdict.corsHeaders, metrics: metrics, acceptsGzip: acceptsGzip)
        if request.method == "OPTIONS" {
            reply.preflight(request)
            return
        }
        if Self.isPublic(request.path), !configuration.routes.contains(where: { $0.matches(request.path) }) {
            dispatch(request, reply, principal: .anonymous)
            return
        }
        do {
            let principal = try gate.authenticate(headers: request.headers, query: request.query, ip: request.remoteAddress)
            if !Self.isUpdatePath(request.path) { try gate.admitRequest(principal, ip: request.remoteAddress) }
            if let plugin = configuration.routes.first(where: { $0.matches(request.path) }) {
                // Plug-ins read JSON bodies too: the same guard against cross-site form posts.
                if !request.body.isEmpty { try JSONContentType.require(request.headers) }
                var forwarded = request
                forwarded.headers.add(name: "x-solverd-principal", value: principal.name)
                plugin.handle(forwarded, responder: responder)
                return
            }
            dispatch(request, reply, principal: principal)
        } catch let refusal as GateRefusal {
            reply.refuse(refusal)
        } catch {
            reply.error(error as? SolverError ?? SolverError(.internal, "internal error"))
        }
    }

    private func dispatch(_ request: HTTPRequest, _ reply: Reply, principal: Principal) {
        do {
            try route(request, reply, principal)
        } catch let refusal as GateRefusal {
            reply.refuse(refusal)
        } catch let error as SolverError {
            reply.error(error)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            reply.error(SolverError(.internal, "internal error"))
        }
    }

    /// Health, metrics, the API description and the dashboard's static files need no credentials; the rest of
    /// `/api/` does.
    static func isPublic(_ path: String) -> Bool {
        path == "/health" || path == "/api/v1/health" || path == "/metrics" || path == "/api/v1/openapi.json"
            || !(path.hasPrefix("/api/") || path == "/api")
    }

    /// Cost updates are metered by the update budget, not the request budget, so pushes at tens of thousands per
    /// second are not throttled by request limits (docs/design.md §8.1).
    static func isUpdatePath(_ path: String) -> Bool { path == "/api/v1/swarm/costs" }

    // MARK: WebSocket

    public func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision {
        if draining.load(ordering: .relaxed) {
            return .reject(.shuttingDown)
        }
        do {
            _ = try configuration.originPolicy.admit(request.headers)
        } catch {
            metrics.reject(error.reason)
            return .reject(error.error)
        }
        do {
            let principal = try gate.authenticate(headers: request.headers, query: request.query, ip: request.remoteAddress)
            try gate.admitRequest(principal, ip: request.remoteAddress)
            try gate.checkStreamCapacity(principal, ip: request.remoteAddress)
            return .accept
        } catch {
            return .reject(error.error, headers: error.headers)
        }
    }

    public func webSocketDidOpen(_ connection: WebSocketConnection) {
        metrics.webSocketsOpened.increment()
        let ip = connection.remoteAddress
        do {
            // Checked at the upgrade already; a cache hit now. A token that expired in between is refused here.
            let principal = try gate.authenticate(headers: connection.upgradeHeaders, query: connection.upgradeQuery, ip: ip)
            let ticket = try gate.openStream(principal, ip: ip)
            let client = WebSocketClient(connection: connection, service: self, principal: principal, ticket: ticket)
            clients.withLock { $0[connection.id] = client }
        } catch {
            _ = connection.send(utf8Text: WireEncoder.error(error.error, ref: nil))
            connection.close(.error(error.error.code))
        }
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        metrics.webSocketMessages.increment()
        metrics.bytesIn.increment(by: text.utf8.count)
        guard let client = clients.withLock({ $0[connection.id] }) else { return }
        client.receive(text)
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8]) {
        _ = connection.send(utf8Text: WireEncoder.error(
            SolverError(.invalidType, "binary frames are not accepted; send JSON as text frames", field: nil), ref: nil))
        connection.close(.binaryMessage)
    }

    public func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {
        metrics.webSocketsClosed.increment()
        guard let client = clients.withLock({ $0.removeValue(forKey: connection.id) }) else { return }
        client.detachAll()
        gate.release(client.ticket)
    }

    public func transportWillShutDown() {
        draining.store(true, ordering: .relaxed)
        let shutdownFrame = WireEncoder.shutdown(reason: "server shutting down")
        for client in clients.withLock({ Array($0.values) }) {
            client.detachAll()
            _ = client.connection.send(utf8Text: shutdownFrame)
        }
        streams.shutdownAll(reason: "server shutting down")
    }

    /// Whether a drain has begun (health answers 503).
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
}
