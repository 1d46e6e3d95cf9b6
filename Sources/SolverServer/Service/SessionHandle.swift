import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// A session as the commands see it, wherever it lives: in this node's registry (`LocalSessionHandle`) or on
/// another node of the cluster (`RemoteSessionHandle`). Every method returns at once and answers through its
/// completion (any thread, exactly once), so HTTP and WebSocket commands are written once, and none of them waits
/// on the service thread.
protocol SessionHandle: Sendable {
    var id: SessionID { get }
    /// Queues an update; `completion` gets its acknowledgement seq (durable in cluster mode) or the error.
    func submit(_ update: CostUpdate, completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void)
    /// Answers a read (status, solution, verification) or closes the session; the body is the owner's JSON.
    func ask(_ query: RemoteQuery, completion: @escaping @Sendable (RemoteQuery.Answer) -> Void)
    /// Feeds the session's events (retained ones after `since`, then live ones, each seq once and in order) into
    /// `output`. `opened` runs with the next seq just before the first event, so a reply sent there precedes
    /// every event; `completion` then gets the subscription, or the error (nothing was opened then).
    func subscribe(since: UInt64?, watchIndices: [Int]?, output: EventOutput,
                   opened: @escaping @Sendable (_ nextSeq: UInt64) -> Void,
                   completion: @escaping @Sendable (Result<EventSubscription, SolverError>) -> Void)
}

/// Where a subscription's events go: a transport in its framing; `untilConverged` ends it after the first
/// `convergence_signal` (NDJSON/SSE `?until=converged`).
struct EventOutput: Sendable {
    let transport: any EventTransport
    let framing: EventFraming
    var untilConverged = false
}

/// An open subscription; `cancel` ends it (idempotent).
struct EventSubscription: Sendable {
    let cancel: @Sendable () -> Void
}

/// A session held by this node. Access was checked when the handle was made.
struct LocalSessionHandle: SessionHandle {
    let session: Session
    let registry: SessionRegistry
    var id: SessionID { session.id }

    func submit(_ update: CostUpdate, completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        session.submit(update, completion: completion)
    }

    func ask(_ query: RemoteQuery, completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        let id = session.id
        switch query {
        case .status:
            completion(.success(WireEncoder.status(session.status)))
        case .solution(let text):
            do {
                let indices = try SolverService.solutionIndices(text, dimension: session.dimension)
                session.readSolution(indices: indices) { completion($0.map { WireEncoder.solution($0, sessionID: id) }) }
            } catch {
                completion(.failure(SolverError.wrapping(error)))
            }
        case .verify(let probeCount, let indices):
            session.verify(probeCount: probeCount, indices: indices) { result in
                completion(result.map { WireEncoder.verificationResult($0, sessionID: id, seq: nil) })
            }
        case .close:
            guard registry.close(id) else {
                return completion(.failure(SolverError(.sessionNotFound, "no session \(id)", field: "session_id")))
            }
            completion(.success(WireEncoder.sessionDeleted(sessionID: id)))
        }
    }

    func subscribe(since: UInt64?, watchIndices: [Int]?, output: EventOutput,
                   opened: @escaping @Sendable (UInt64) -> Void,
                   completion: @escaping @Sendable (Result<EventSubscription, SolverError>) -> Void) {
        do {
            if let watchIndices, let k = watchIndices.firstIndex(where: { $0 < 0 || $0 >= session.dimension }) {
                throw SolverError(.indexOutOfRange, "index \(watchIndices[k]) is outside 0..<\(session.dimension)",
                                  field: "watch_indices[\(k)]")
            }
            let hub = session.hub
            try hub.checkResumable(since: since)
            var afterDelivery: (@Sendable (SessionEvent) -> Void)?
            if output.untilConverged {
                afterDelivery = { [transport = output.transport] event in
                    if case .convergenceSignal = event.body { transport.finishAfterSubscriptionEnded(reason: "converged") }
                }
            }
            let sink = TransportEventSink(transport: output.transport, framing: output.framing, hub: hub,
                                          afterDelivery: afterDelivery)
            opened(hub.nextSeq)
            _ = try sink.attach(since: since, watchIndices: watchIndices)
            completion(.success(EventSubscription(cancel: { sink.detach() })))
        } catch {
            completion(.failure(SolverError.fromSubscribe(error, sessionID: session.id)))
        }
    }
}

/// A session held by another node: updates are forwarded to its owner, reads relayed to it (the owner applies its
/// access rules and answers as its own routes would), events come from the cluster's feed.
struct RemoteSessionHandle: SessionHandle {
    let id: SessionID
    let principal: Principal
    let cluster: any RemoteSessions

    func submit(_ update: CostUpdate, completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        cluster.forward(id, update, principal: principal, completion: completion)
    }

    func ask(_ query: RemoteQuery, completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        cluster.ask(id, query, principal: principal, completion: completion)
    }

    func subscribe(since: UInt64?, watchIndices: [Int]?, output: EventOutput,
                   opened: @escaping @Sendable (UInt64) -> Void,
                   completion: @escaping @Sendable (Result<EventSubscription, SolverError>) -> Void) {
        // The owner answers first whether the session exists and this principal may read it.
        cluster.ask(id, .status, principal: principal) { [id, cluster] answer in
            if case .failure(let error) = answer { return completion(.failure(error)) }
            let feed = RemoteEventFeed(output: output)
            opened((since ?? 0) + 1)
            feed.attach(cancel: cluster.subscribe(id, since: since) { seq, type, json in
                feed.deliver(seq: seq, type: type, json: json)
            })
            completion(.success(EventSubscription(cancel: { feed.stop() })))
        }
    }
}

extension SolverError {
    /// `error` as a client error: a `SolverError` or a gate refusal as itself, anything else as `internal`.
    static func wrapping(_ error: any Error) -> SolverError {
        if let error = error as? SolverError { return error }
        if let refusal = error as? GateRefusal { return refusal.error }
        return SolverError(.internal, "internal error")
    }
}
