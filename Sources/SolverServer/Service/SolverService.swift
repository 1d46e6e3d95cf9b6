import Dispatch
import Foundation
import SolverCore
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
    let startedAt = EventClock.now()
    let clients = Mutex<[UInt64: WebSocketClient]>([:])
    let draining = Atomic<Bool>(false)
    /// Session creation and other O(nnz) work.
    let work = DispatchQueue(label: "solverd.service.work", attributes: .concurrent)

    public init(registry: SessionRegistry, configuration: ServiceConfiguration = ServiceConfiguration()) {
        self.registry = registry
        self.configuration = configuration
        self.streams = StreamRegistry(heartbeatInterval: configuration.heartbeatInterval)
    }

    // MARK: HTTP

    public func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        metrics.httpRequests.add(1, ordering: .relaxed)
        metrics.bytesIn.add(request.body.count, ordering: .relaxed)
        let reply = Reply(responder: responder, cors: corsHeaders(for: request), metrics: metrics,
                          acceptsGzip: (request.headers["accept-encoding"] ?? "").contains("gzip"))
        if request.method == "OPTIONS" {
            reply.preflight(request)
            return
        }
        if let plugin = configuration.routes.first(where: { $0.matches(request.path) }) {
            plugin.handle(request, responder: responder)
            return
        }
        do {
            try route(request, reply)
        } catch let error as SolverError {
            reply.error(error)
        } catch {
            reply.error(SolverError(.internal, "internal error"))
        }
    }

    /// CORS headers for a request that carries an allowed `Origin`.
    func corsHeaders(for request: HTTPRequest) -> [(String, String)] {
        guard let origin = request.headers["origin"] else { return [] }
        let allowed = configuration.corsOrigins.contains("*") || configuration.corsOrigins.contains(origin)
        guard allowed else { return [] }
        return [("access-control-allow-origin", configuration.corsOrigins.contains("*") ? "*" : origin),
                ("vary", "Origin"),
                ("access-control-expose-headers", "content-type, retry-after, www-authenticate")]
    }

    // MARK: WebSocket

    public func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision {
        if draining.load(ordering: .relaxed) {
            return .reject(status: 503, headers: [("content-type", "application/json")],
                           body: WireEncoder.errorBody(SolverError(.draining, "the server is shutting down")))
        }
        return .accept
    }

    public func webSocketDidOpen(_ connection: WebSocketConnection) {
        metrics.webSocketsOpened.add(1, ordering: .relaxed)
        let client = WebSocketClient(connection: connection, service: self)
        clients.withLock { $0[connection.id] = client }
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        metrics.webSocketMessages.add(1, ordering: .relaxed)
        metrics.bytesIn.add(text.utf8.count, ordering: .relaxed)
        guard let client = clients.withLock({ $0[connection.id] }) else { return }
        client.receive(text)
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8]) {
        _ = connection.send(utf8Text: WireEncoder.error(
            SolverError(.invalidType, "binary frames are not accepted; send JSON as text frames", field: nil), ref: nil))
        connection.close(code: .unsupportedData, reason: "binary frames are not supported")
    }

    public func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {
        metrics.webSocketsClosed.add(1, ordering: .relaxed)
        let client = clients.withLock { $0.removeValue(forKey: connection.id) }
        client?.detachAll()
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

extension SolverError.Code {
    public static let draining: Self = "draining"
    public static let notFound: Self = "not_found"
    public static let methodNotAllowed: Self = "method_not_allowed"
}
