import Dispatch
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire
import Synchronization

/// One WebSocket connection's protocol state: which sessions it watches, and the handling of each client message.
/// `receive` runs on the service thread and never waits: every command answers through a completion, and replies
/// go through the thread-safe connection handle.
///
/// Order: messages are handled in arrival order. A command that cannot finish at once but whose effect later
/// messages must see (a subscription to a session on another node, which asks the owner first) holds the messages
/// behind it — queued here, no thread blocked — until it is in place. Acks of updates to one session go out in seq
/// order, each ahead of every event reflecting its update.
final class WebSocketClient: Sendable {
    let connection: WebSocketConnection
    unowned let service: SolverService
    /// Who opened the connection (authenticated at the upgrade).
    let principal: Principal
    /// Held against the concurrency limits until the connection closes.
    let ticket: StreamTicket
    /// Subscriptions of this connection, one per session, wherever the session lives; changed only through
    /// `withSubscriptions`, which keeps `subscriptionCount` (read by every event send) in step.
    private let subscriptions = Mutex<[SessionID: EventSubscription]>([:])
    private let subscriptionCount = SubscriptionTally()
    /// Rate-limited messages in a row; at `webSocketStrikes` the connection is closed with 1008.
    private let strikes = Atomic<Int>(0)
    /// Set by `detachAll`; a subscription made later (by a command still completing) is undone at once.
    private let closed = Atomic<Bool>(false)

    private struct Message: Sendable {
        let message: ClientMessage
        let ref: String?
        let text: String
    }
    /// Messages held behind a command that has not finished (see the type's comment).
    private let held = Mutex<(busy: Bool, waiting: [Message])>((false, []))

    init(connection: WebSocketConnection, service: SolverService, principal: Principal, ticket: StreamTicket) {
        self.connection = connection
        self.service = service
        self.principal = principal
        self.ticket = ticket
    }

    func send(_ json: [UInt8]) {
        service.metrics.bytesOut.increment(by: json.count)
        _ = connection.send(utf8Text: json)
    }

    func sendError(_ error: SolverError, ref: String?) {
        service.metrics.errors.increment()
        send(WireEncoder.error(error, ref: ref))
    }

    /// Decodes and meters; a ping is answered at once (liveness must not wait behind held messages).
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
        let runNow = held.withLock { h -> Bool in
            if h.busy {
                h.waiting.append(Message(message: message, ref: ref, text: text))
                return false
            }
            h.busy = true
            return true
        }
        if runNow { run(Message(message: message, ref: ref, text: text)) }
    }

    /// Handles `first` and then the held messages, until one must wait (it resumes the loop when done).
    private func run(_ first: Message) {
        var next: Message? = first
        while let current = next {
            guard handle(current, resume: { [self] in if let after = takeHeld() { run(after) } }) else { return }
            next = takeHeld()
        }
    }

    /// The next held message, or nil (and not busy any more) when none is left.
    private func takeHeld() -> Message? {
        held.withLock { h in
            guard !h.waiting.isEmpty else {
                h.busy = false
                return nil
            }
            return h.waiting.removeFirst()
        }
    }

    /// Handles one message. Returns false when later messages must wait until `resume` is called.
    private func handle(_ item: Message, resume: @escaping @Sendable () -> Void) -> Bool {
        let ref = item.ref
        switch item.message {
        case .ping:
            return true  // answered by `receive`, ahead of anything held
        case .costUpdate(let request):
            service.submitUpdate(request, principal: principal) { [self] result in
                switch result {
                case .success(let seq): send(WireEncoder.ack(sessionID: request.sessionID, seq: seq, ref: ref, echoing: request.update))
                case .failure(let error): sendError(error, ref: ref)
                }
            }
            return true
        case .subscribe(let request):
            // Whichever comes second — the subscription in place, or this method returning — continues with the
            // held messages: the method itself when a local subscription completed at once, `resume` otherwise.
            let firstDone = Atomic<Bool>(false)
            subscribe(request, ref: ref) {
                if firstDone.exchange(true, ordering: .acquiringAndReleasing) { resume() }
            }
            return firstDone.exchange(true, ordering: .acquiringAndReleasing)
        case .unsubscribe(let request):
            guard let subscription = withSubscriptions({ $0.removeValue(forKey: request.sessionID) }) else {
                sendError(SolverError(.sessionNotFound, "this connection is not subscribed to \(request.sessionID)", field: "session_id"), ref: ref)
                return true
            }
            subscription.cancel()
            send(WireEncoder.unsubscribed(sessionID: request.sessionID, ref: ref))
            return true
        case .verify(let request):
            service.query(.verify(probeCount: request.probeCount, indices: request.indices), about: request.sessionID,
                          principal: principal) { [self] answer in
                switch answer {
                case .success(let body): send(WireEncoder.withReference(body, ref: ref))
                case .failure(let error): sendError(error, ref: ref)
                }
            }
            return true
        case .solveRequest(let request):
            createSession(request, text: item.text, ref: ref)
            return true
        }
    }

    /// Replaces this connection's subscription to the session; `subscribed` precedes every event.
    private func subscribe(_ request: SubscribeRequest, ref: String?, done: @escaping @Sendable () -> Void) {
        let id = request.sessionID
        withSubscriptions { $0.removeValue(forKey: id) }?.cancel()
        service.subscribe(id, principal: principal, since: request.sinceSeq, watchIndices: request.watchIndices, output: output(for: id),
                          opened: { [self] nextSeq in send(WireEncoder.subscribed(sessionID: id, nextSeq: nextSeq, ref: ref)) },
                          completion: { [self] result in
                              keep(result, for: id, ref: ref)
                              done()
                          })
    }

    /// Events of session `id` to this connection; a subscription that ends by itself (the session closed) is
    /// forgotten, so a later `unsubscribe` says there is none, wherever the session lived.
    private func output(for id: SessionID) -> EventOutput {
        let transport = WebSocketEventTransport(
            connection: connection,
            subscriptionsOnConnection: subscriptionCount,
            ended: { [weak self] in _ = self?.withSubscriptions { $0.removeValue(forKey: id) } })
        return EventOutput(transport: transport, framing: .webSocket)
    }

    /// Records a subscription, or answers why there is none.
    private func keep(_ result: Result<EventSubscription, SolverError>, for id: SessionID, ref: String?) {
        switch result {
        case .success(let subscription): keep(subscription, for: id)
        case .failure(let error): sendError(error, ref: ref)
        }
    }

    /// Records a subscription, or ends it at once when the connection closed meanwhile (`detachAll` already ran
    /// and would never see it).
    private func keep(_ subscription: EventSubscription, for id: SessionID) {
        withSubscriptions { $0.updateValue(subscription, forKey: id) }?.cancel()
        if closed.load(ordering: .sequentiallyConsistent) { withSubscriptions { $0.removeValue(forKey: id) }?.cancel() }
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

    /// Builds the session off the service thread (O(nnz)), answers `session_created`, and subscribes to it.
    private func createSession(_ request: SolveRequest, text: String, ref: String?) {
        service.work.async { [self] in
            do {
                let json = try JSONReader.parse(Array(text.utf8))
                let session = try service.createSession(request.spec, json: json, principal: principal)
                send(WireEncoder.sessionCreated(session.status, ref: ref))
                LocalSessionHandle(session: session, registry: service.registry).subscribe(
                    since: 0, watchIndices: nil, output: output(for: session.id), opened: { _ in },
                    completion: { [self] result in keep(result, for: session.id, ref: ref) })
            } catch {
                sendError(SolverError.wrapping(error), ref: ref)
            }
        }
    }

    private func withSubscriptions<T>(_ body: (inout [SessionID: EventSubscription]) -> T) -> T {
        subscriptions.withLock { s in
            defer { subscriptionCount.set(s.count) }
            return body(&s)
        }
    }

    /// The connection closed or the server drains: end every subscription.
    func detachAll() {
        closed.store(true, ordering: .sequentiallyConsistent)
        let all = withSubscriptions { s in
            defer { s.removeAll() }
            return Array(s.values)
        }
        for subscription in all { subscription.cancel() }
    }
}

extension SolverError {
    /// Maps `EventHub.subscribe` failures to client errors.
    static func fromSubscribe(_ error: any Error, sessionID: SessionID) -> SolverError {
        switch error as? EventHub.SubscribeError {
        case .closed?: return SolverError(.sessionClosed, "session \(sessionID) has ended", field: "session_id")
        case .gap(let oldest)?:
            return SolverError(.eventsExpired, "events after that seq are no longer retained; the oldest retained is \(oldest)", field: "since_seq")
        case nil: return wrapping(error)
        }
    }
}
