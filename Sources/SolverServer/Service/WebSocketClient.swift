import Dispatch
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire
import Synchronization

/// One WebSocket connection's protocol state: which sessions it watches, and the handling of each client message.
/// `receive` runs on the service thread; replies go through the thread-safe connection handle.
final class WebSocketClient: @unchecked Sendable {
    let connection: WebSocketConnection
    unowned let service: SolverService
    /// Who opened the connection (authenticated at the upgrade).
    let principal: Principal
    /// Held against the concurrency limits until the connection closes.
    let ticket: StreamTicket
    /// Subscriptions of this connection, one per session.
    private let sinks = Mutex<[SessionID: TransportEventSink]>([:])
    /// Subscriptions to sessions held by other nodes (cluster mode): their cancellations.
    private let remote = Mutex<[SessionID: @Sendable () -> Void]>([:])
    /// Rate-limited messages in a row; at `webSocketStrikes` the connection is closed with 1008.
    private let strikes = Atomic<Int>(0)
    /// Set by `detachAll`; a subscription made later (by a message still being handled) is undone at once.
    private let closed = Atomic<Bool>(false)
    /// Cluster mode: messages are handled in arrival order on this queue, not on the service thread, since an
    /// update waits for its journal append and a subscription may look the session up in the store (one store
    /// round trip each). Nil in the embedded default, where every message is handled inline.
    private let ordered: DispatchQueue?

    init(connection: WebSocketConnection, service: SolverService, principal: Principal, ticket: StreamTicket) {
        self.connection = connection
        self.service = service
        self.principal = principal
        self.ticket = ticket
        ordered = service.registry.journal != nil ? DispatchQueue(label: "solverd.ws.\(connection.id)") : nil
    }

    func send(_ json: [UInt8]) {
        service.metrics.bytesOut.increment(by: json.count)
        _ = connection.send(utf8Text: json)
    }

    func sendError(_ error: SolverError, ref: String?) {
        service.metrics.errors.increment()
        send(WireEncoder.error(error, ref: ref))
    }

    /// Decodes and meters on the service thread; a ping is answered at once (liveness must not wait behind a
    /// journal append), everything else is handled inline or, in cluster mode, in order on `ordered`.
    func receive(_ text: String) {
        let message: ClientMessage
        let ref: String?
        do {
            (message, ref) = try ClientMessage.decode(text, limits: service.configuration.matrixLimits)
        } catch {
            sendError(error.error, ref: error.ref)
            return
        }
        guard admit(message, bytes: text.utf8.count, ref: ref) else { return }
        if case .ping = message { return send(WireEncoder.pong(ref: ref)) }
        guard let ordered else { return handle(message, ref: ref, text: text) }
        ordered.async { [self] in handle(message, ref: ref, text: text) }
    }

    private func handle(_ message: ClientMessage, ref: String?, text: String) {
        do {
            switch message {
            case .ping:
                break  // answered by `receive`, ahead of anything queued
            case .costUpdate(let incoming):
                let request = incoming.sourcedAt(service.configuration.nodeID)
                if service.registry.session(request.sessionID) == nil, let remote = service.configuration.remoteSessions {
                    remote.forward(request.sessionID, request.update, principal: principal) { [self] result in
                        switch result {
                        case .success(let seq): send(WireEncoder.ack(sessionID: request.sessionID, seq: seq, ref: ref, echoing: request.update))
                        case .failure(let error): sendError(error, ref: ref)
                        }
                    }
                    return
                }
                let session = try service.session(request.sessionID, for: principal)
                _ = try session.submit(request.update) { [self] seq in
                    send(WireEncoder.ack(sessionID: request.sessionID, seq: seq, ref: ref, echoing: request.update))
                }
                service.metrics.updatesAccepted.increment()
            case .subscribe(let request):
                try subscribe(request, ref: ref)
            case .unsubscribe(let request):
                if let cancel = remote.withLock({ $0.removeValue(forKey: request.sessionID) }) {
                    cancel()
                    send(WireEncoder.unsubscribed(sessionID: request.sessionID, ref: ref))
                    return
                }
                guard let sink = sinks.withLock({ $0.removeValue(forKey: request.sessionID) }) else {
                    throw SolverError(.sessionNotFound, "this connection is not subscribed to \(request.sessionID)", field: "session_id")
                }
                sink.detach()
                send(WireEncoder.unsubscribed(sessionID: request.sessionID, ref: ref))
            case .verify(let request):
                let session = try service.session(request.sessionID, for: principal)
                session.verify(probeCount: request.probeCount, indices: request.indices) { [self] result in
                    switch result {
                    case .success(let verification):
                        send(WireEncoder.verificationResult(verification, sessionID: request.sessionID, seq: nil, ref: ref))
                    case .failure(let error):
                        sendError(error, ref: ref)
                    }
                }
            case .solveRequest(let request):
                createSession(request, text: text, ref: ref)
            }
        } catch let refusal as GateRefusal {
            sendError(refusal.error, ref: ref)
        } catch let error as SolverError {
            sendError(error, ref: ref)
        } catch {
            sendError(SolverError(.internal, "internal error"), ref: ref)
        }
    }

    private func subscribe(_ request: SubscribeRequest, ref: String?) throws {
        if service.registry.session(request.sessionID) == nil, let cluster = service.configuration.remoteSessions,
           let ordered {
            // The owner answers whether the session exists and this principal may read it. Later messages of this
            // connection wait (the queue is suspended, no thread blocked) so they see the subscription in place.
            ordered.suspend()
            cluster.ask(request.sessionID, .status, principal: principal) { [self] answer in
                defer { ordered.resume() }
                switch answer {
                case .success: subscribeRemotely(request, ref: ref, cluster: cluster, ordered: ordered)
                case .failure(let error): sendError(error, ref: ref)
                }
            }
            return
        }
        let session = try service.session(request.sessionID, for: principal)
        if let limit = request.watchIndices?.firstIndex(where: { $0 < 0 || $0 >= session.dimension }) {
            throw SolverError(.indexOutOfRange, "index \(request.watchIndices![limit]) is outside 0..<\(session.dimension)",
                              field: "watch_indices[\(limit)]")
        }
        try session.hub.checkResumable(since: request.sinceSeq)
        sinks.withLock { $0.removeValue(forKey: request.sessionID) }?.detach()
        send(WireEncoder.subscribed(sessionID: request.sessionID, nextSeq: session.hub.nextSeq, ref: ref))
        try attach(session, since: request.sinceSeq, watchIndices: request.watchIndices)
    }

    /// A subscription to a session owned by another node, fed from the cluster's event log and relay. It ends by
    /// itself after the session's `session_closed`, as a local one does.
    private func subscribeRemotely(_ request: SubscribeRequest, ref: String?, cluster: any RemoteSessions, ordered: DispatchQueue) {
        let id = request.sessionID
        remote.withLock { $0.removeValue(forKey: id) }?()
        send(WireEncoder.subscribed(sessionID: id, nextSeq: (request.sinceSeq ?? 0) + 1, ref: ref))
        let cancel = cluster.subscribe(id, since: request.sinceSeq) { [self] _, type, json in
            send(json)
            // Cancelling from inside a delivery could re-enter the feed: leave it to the connection's queue.
            if type == "session_closed" { ordered.async { [self] in remote.withLock { $0.removeValue(forKey: id) }?() } }
        }
        remote.withLock { $0[id] = cancel }
        if closed.load(ordering: .sequentiallyConsistent) { remote.withLock { $0.removeValue(forKey: id) }?() }
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
        // Closed meanwhile (a session created off the service thread, or a message handled on `ordered`):
        // `detachAll` already ran and would never see this subscription.
        if closed.load(ordering: .sequentiallyConsistent) { sinks.withLock { $0.removeValue(forKey: session.id) }?.detach() }
    }

    /// Meters a message: cost updates against the update budget, pings free, everything else as a request.
    /// A refusal answers `rate_limited`; too many in a row close the connection with 1008.
    private func admit(_ message: ClientMessage, bytes: Int, ref: String?) -> Bool {
        let ip = connection.remoteAddress
        do {
            switch message {
            case .ping: return true
            case .costUpdate: try service.gate.admitUpdate(principal, ip: ip, bytes: bytes)
            default: try service.gate.admitRequest(principal, ip: ip)
            }
            if strikes.load(ordering: .relaxed) != 0 { strikes.store(0, ordering: .relaxed) }
            return true
        } catch {
            sendError(error.error, ref: ref)
            if strikes.add(1, ordering: .relaxed).newValue >= service.configuration.limits.webSocketStrikes {
                service.metrics.reject("websocket_abuse")
                service.logger.notice("closing abusive WebSocket", metadata: ["principal": "\(principal.name)", "remote": "\(ip)"])
                connection.close(.error(.rateLimited))
            }
            return false
        }
    }

    private func createSession(_ request: SolveRequest, text: String, ref: String?) {
        service.work.async { [self] in
            do {
                let json = try JSONReader.parse(Array(text.utf8))
                let session = try service.createSession(request.spec, json: json, principal: principal)
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
        closed.store(true, ordering: .sequentiallyConsistent)
        for cancel in remote.withLock({ r in defer { r.removeAll() }; return Array(r.values) }) { cancel() }
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
