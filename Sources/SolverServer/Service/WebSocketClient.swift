import Dispatch
import SolverCore
import SolverSession
import SolverWire
import Synchronization

/// One WebSocket connection's protocol state: which sessions it watches, and the handling of each client message.
/// `receive` runs on the service thread; replies go through the thread-safe connection handle.
final class WebSocketClient: @unchecked Sendable {
    let connection: WebSocketConnection
    unowned let service: SolverService
    /// Subscriptions of this connection, one per session.
    private let sinks = Mutex<[SessionID: TransportEventSink]>([:])

    init(connection: WebSocketConnection, service: SolverService) {
        self.connection = connection
        self.service = service
    }

    func send(_ json: [UInt8]) {
        service.metrics.bytesOut.add(json.count, ordering: .relaxed)
        _ = connection.send(utf8Text: json)
    }

    func sendError(_ error: SolverError, ref: String?) {
        service.metrics.errors.add(1, ordering: .relaxed)
        send(WireEncoder.error(error, ref: ref))
    }

    func receive(_ text: String) {
        let message: ClientMessage
        let ref: String?
        do {
            (message, ref) = try ClientMessage.decode(text, limits: service.configuration.matrixLimits)
        } catch {
            sendError(error.error, ref: error.ref)
            return
        }
        do {
            switch message {
            case .ping:
                send(WireEncoder.pong(ref: ref))
            case .costUpdate(let request):
                let session = try service.registry.require(request.sessionID)
                _ = try session.submit(request.update) { [self] seq in
                    send(WireEncoder.ack(sessionID: request.sessionID, seq: seq, ref: ref))
                }
                service.metrics.updatesAccepted.add(1, ordering: .relaxed)
            case .subscribe(let request):
                try subscribe(request, ref: ref)
            case .unsubscribe(let request):
                guard let sink = sinks.withLock({ $0.removeValue(forKey: request.sessionID) }) else {
                    throw SolverError(.sessionNotFound, "this connection is not subscribed to \(request.sessionID)", field: "session_id")
                }
                sink.detach()
                send(WireEncoder.unsubscribed(sessionID: request.sessionID, ref: ref))
            case .verify(let request):
                let session = try service.registry.require(request.sessionID)
                session.verify(probeCount: request.probeCount, indices: request.indices) { [self] result in
                    switch result {
                    case .success(let verification):
                        send(WireEncoder.verificationResult(verification, sessionID: request.sessionID, seq: nil, ref: ref))
                    case .failure(let error):
                        sendError(error, ref: ref)
                    }
                }
            case .solveRequest(let request):
                createSession(request, ref: ref)
            }
        } catch let error as SolverError {
            sendError(error, ref: ref)
        } catch {
            sendError(SolverError(.internal, "internal error"), ref: ref)
        }
    }

    private func subscribe(_ request: SubscribeRequest, ref: String?) throws {
        let session = try service.registry.require(request.sessionID)
        if let limit = request.watchIndices?.firstIndex(where: { $0 < 0 || $0 >= session.dimension }) {
            throw SolverError(.indexOutOfRange, "index \(request.watchIndices![limit]) is outside 0..<\(session.dimension)",
                              field: "watch_indices[\(limit)]")
        }
        try session.hub.checkResumable(since: request.sinceSeq)
        sinks.withLock { $0.removeValue(forKey: request.sessionID) }?.detach()
        send(WireEncoder.subscribed(sessionID: request.sessionID, nextSeq: session.hub.nextSeq, ref: ref))
        try attach(session, since: request.sinceSeq, watchIndices: request.watchIndices)
    }

    private func attach(_ session: Session, since: UInt64?, watchIndices: [Int]?) throws {
        let sink = TransportEventSink(transport: WebSocketEventTransport(connection: connection), framing: .webSocket, hub: session.hub)
        sinks.withLock { $0[session.id] = sink }
        do {
            _ = try sink.attach(since: since, watchIndices: watchIndices)
        } catch {
            sinks.withLock { $0[session.id] = nil }
            throw SolverError.fromSubscribe(error, sessionID: session.id)
        }
    }

    private func createSession(_ request: SolveRequest, ref: String?) {
        service.work.async { [self] in
            do {
                let session = try service.createSession(request.spec)
                send(WireEncoder.sessionCreated(session.status, ref: ref))
                try attach(session, since: 0, watchIndices: nil)
            } catch let error as SolverError {
                sendError(error, ref: ref)
            } catch {
                sendError(SolverError(.internal, "internal error"), ref: ref)
            }
        }
    }

    /// The connection closed or the server drains: end every subscription.
    func detachAll() {
        let all = sinks.withLock { s in
            defer { s.removeAll() }
            return Array(s.values)
        }
        for sink in all { sink.detach() }
    }
}

extension SolverError {
    /// Maps `EventHub.subscribe` failures to client errors.
    static func fromSubscribe(_ error: any Error, sessionID: SessionID) -> SolverError {
        switch error as? EventHub.SubscribeError {
        case .closed?: return SolverError(.sessionClosed, "session \(sessionID) has ended", field: "session_id")
        case .gap(let oldest)?:
            return SolverError(.eventsExpired, "events after that seq are no longer retained; the oldest retained is \(oldest)", field: "since_seq")
        case nil: return error as? SolverError ?? SolverError(.internal, "internal error")
        }
    }
}

extension SolverError.Code {
    /// A resume point older than the retained events.
    public static let eventsExpired: Self = "events_expired"
}
