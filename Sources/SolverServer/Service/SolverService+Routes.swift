import Dispatch
import Foundation
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// The HTTP API (plan §1.1 plus the session endpoints). Each handler validates, answers errors at once, and moves
/// O(nnz) work to `work`.
extension SolverService {
    func route(_ request: HTTPRequest, _ reply: Reply, _ principal: Principal) throws {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = request.method
        switch parts {
        case ["health"], ["api", "v1", "health"]:
            try allow(method, ["GET", "HEAD"])
            health(reply)
        case ["metrics"]:
            try allow(method, ["GET"])
            guard let text = metricsText() else { throw SolverError(.notFound, "no metrics backend", field: nil) }
            reply.text(200, text, contentType: "text/plain; version=0.0.4")
        case ["api", "v1", "solve-stream"]:
            try allow(method, ["POST"])
            createSession(request, reply, principal, streaming: true)
        case ["api", "v1", "sessions"]:
            try allow(method, ["GET", "POST"])
            if method == "POST" { createSession(request, reply, principal, streaming: false) } else { listSessions(reply, principal) }
        case let p where p.count == 4 && p[0...2] == ["api", "v1", "sessions"]:
            try allow(method, ["GET", "DELETE"])
            answer(method == "DELETE" ? .close : .status, about: try SessionID(validating: p[3]), principal: principal, reply: reply)
        case let p where p.count == 5 && p[0...2] == ["api", "v1", "sessions"] && p[4] == "solution":
            try allow(method, ["GET"])
            answer(.solution(indices: request.queryValue("indices")), about: try SessionID(validating: p[3]),
                   principal: principal, reply: reply)
        case let p where p.count == 5 && p[0...2] == ["api", "v1", "sessions"] && p[4] == "events":
            try allow(method, ["GET"])
            try streamEvents(try SessionID(validating: p[3]), request, reply, principal)
        case ["api", "v1", "swarm", "costs"]:
            try allow(method, ["POST"])
            try gate.admitUpdate(principal, ip: request.remoteAddress, bytes: request.body.count)
            let update = try CostUpdateRequest.decodeUpdateOrReport(try parseBody(request)).sourcedAt(configuration.nodeID)
            if registry.session(update.sessionID) == nil, let remote = configuration.remoteSessions {
                remote.forward(update.sessionID, update.update, principal: principal) { [metrics] result in
                    switch result {
                    case .success(let seq):
                        metrics.updatesAccepted.increment()
                        reply.json(202, WireEncoder.ack(sessionID: update.sessionID, seq: seq, ref: nil, echoing: update.update))
                    case .failure(let error): reply.error(error)
                    }
                }
                return
            }
            let target = try session(update.sessionID, for: principal)
            let accept: @Sendable () throws -> Void = { [metrics] in
                let seq = try target.submit(update.update)
                metrics.updatesAccepted.increment()
                reply.json(202, WireEncoder.ack(sessionID: update.sessionID, seq: seq, ref: nil, echoing: update.update))
            }
            // With a journal the ack waits for one store round trip: not on the service thread.
            guard registry.journal != nil else { return try accept() }
            work.async {
                do { try accept() } catch { reply.error(error as? SolverError ?? SolverError(.internal, "internal error")) }
            }
        case ["api", "v1", "swarm", "join"]:
            try allow(method, ["POST"])
            reply.json(200, WireEncoder.swarmNodes([configuration.nodeID], selfID: configuration.nodeID))
        case ["api", "v1", "verify"]:
            try allow(method, ["POST"])
            let verify = try VerifyRequest.decode(try parseBody(request))
            answer(.verify(probeCount: verify.probeCount, indices: verify.indices), about: verify.sessionID,
                   principal: principal, reply: reply)
        case ["api", "v1", "status"]:
            try allow(method, ["GET"])
            if let membership = configuration.membership {
                // Reading the node list is a store round trip: never on the lws thread.
                work.async { reply.json(200, self.serviceStatus(cluster: Result { try membership.nodes() })) }
            } else {
                reply.json(200, serviceStatus(cluster: nil))
            }
        case let p where p.count == 4 && p[0...2] == ["api", "v1", "status"]:
            try allow(method, ["GET"])
            answer(.status, about: try SessionID(validating: p[3]), principal: principal, reply: reply)
        case let p where p.first == "api":
            throw SolverError(.notFound, "no endpoint \(request.path)", field: nil)
        default:
            try allow(method, ["GET", "HEAD"])
            try serveStatic(request, reply)
        }
    }

    /// Throws 405 naming the allowed methods.
    func allow(_ method: String, _ allowed: [String]) throws {
        guard allowed.contains(method) else {
            throw SolverError(.methodNotAllowed, "\(method) is not allowed here; use \(allowed.joined(separator: ", "))", field: nil)
        }
    }

    func parseBody(_ request: HTTPRequest) throws -> JSONValue {
        guard !request.body.isEmpty else {
            throw SolverError(.missingField, "the request needs a JSON body", field: "body")
        }
        return try JSONReader.parse(request.body)
    }

    func health(_ reply: Reply) {
        if isDraining {
            reply.json(503, WireEncoder.health(status: "draining", sessions: registry.count))
        } else {
            reply.json(200, WireEncoder.health(status: "ok", sessions: registry.count))
        }
    }

    /// Creates a session off the service thread; answers 201 with `session_created`, or streams its events.
    /// Looks up a session the principal may use: 404 when there is none, 403 when it is someone else's.
    func session(_ id: SessionID, for principal: Principal) throws -> Session {
        let session = try registry.require(id)
        try access.check(principal, session)
        return session
    }

    private func createSession(_ request: HTTPRequest, _ reply: Reply, _ principal: Principal, streaming: Bool) {
        let framing: EventFraming = (request.headers["accept"] ?? "").contains("text/event-stream") ? .sse : .ndjson
        let untilConverged = request.queryValue("until") == "converged"
        if let until = request.queryValue("until"), until != "converged" {
            reply.error(SolverError(.invalidArgument, "until must be 'converged'", field: "until"))
            return
        }
        work.async { [self] in
            do {
                let json = try parseBody(request)
                let solve = try SolveRequest.decode(json, limits: configuration.matrixLimits)
                let session = try createSession(solve.spec, json: json, principal: principal)
                if streaming {
                    try openEventStream(session, principal: principal, ip: request.remoteAddress, framing: framing, since: 0,
                                        untilConverged: untilConverged, reply: reply,
                                        first: framing.frame(json: WireEncoder.sessionCreated(session.status, ref: nil), type: "session_created"))
                } else {
                    reply.json(201, WireEncoder.sessionCreated(session.status, ref: nil),
                               headers: [("location", "/api/v1/sessions/\(session.id)")])
                }
            } catch let refusal as GateRefusal {
                reply.refuse(refusal)
            } catch let error as SolverError {
                reply.error(error)
            } catch {
                logger.error("session creation failed", metadata: ["principal": "\(principal.name)", "error": "\(error)"])
                reply.error(SolverError(.internal, "internal error"))
            }
        }
    }

    /// A session's events as NDJSON/SSE; a session held by another node is streamed from the cluster's feed.
    private func streamEvents(_ id: SessionID, _ request: HTTPRequest, _ reply: Reply, _ principal: Principal) throws {
        let remote = registry.session(id) == nil ? configuration.remoteSessions : nil
        let session = remote == nil ? try session(id, for: principal) : nil
        let framing: EventFraming = (request.headers["accept"] ?? "").contains("text/event-stream") ? .sse : .ndjson
        let sinceText = request.headers["last-event-id"] ?? request.queryValue("since")
        let since: UInt64? = try sinceText.map { text in
            guard let value = UInt64(text) else {
                throw SolverError(.invalidArgument, "must be a sequence number, got '\(text)'", field: request.headers["last-event-id"] != nil ? "Last-Event-ID" : "since")
            }
            return value
        }
        let untilConverged = request.queryValue("until") == "converged"
        if let remote {
            return try openRemoteEventStream(id, remote: remote, principal: principal, ip: request.remoteAddress,
                                             framing: framing, since: since, untilConverged: untilConverged, reply: reply)
        }
        guard let session else { return } // held here: looked up (or refused) above
        do { try session.hub.checkResumable(since: since) } catch { throw SolverError.fromSubscribe(error, sessionID: id) }
        try openEventStream(session, principal: principal, ip: request.remoteAddress, framing: framing, since: since,
                            untilConverged: untilConverged, reply: reply, first: nil)
    }

    /// Starts the streamed response and subscribes it to the session. The stream ends with the session, at the
    /// first convergence signal when `untilConverged`, or when the client leaves (which unsubscribes it).
    private func openEventStream(_ session: Session, principal: Principal, ip: String, framing: EventFraming, since: UInt64?,
                                 untilConverged: Bool, reply: Reply, first: [UInt8]?) throws {
        let ticket = try gate.openStream(principal, ip: ip)
        guard let stream = reply.startStream(framing) else {
            gate.release(ticket)
            return
        }
        metrics.streamsOpened.increment()
        if let first { _ = stream.send(first) }
        let streamID = streams.reserveID()
        let transport = HTTPStreamEventTransport(stream: stream, streams: streams, streamID: streamID)
        var afterDelivery: (@Sendable (SessionEvent) -> Void)?
        if untilConverged {
            afterDelivery = { [streams] event in
                guard case .convergenceSignal = event.body else { return }
                streams.remove(streamID)
                stream.finish()
            }
        }
        let sink = TransportEventSink(transport: transport, framing: framing, hub: session.hub, afterDelivery: afterDelivery)
        streams.add(streamID, StreamRegistry.Entry(stream: stream, framing: framing, sink: sink,
                                                   onRemove: { [gate] in gate.release(ticket) }))
        stream.onClose { [streams] in
            sink.detach()
            streams.remove(streamID)
        }
        do {
            _ = try sink.attach(since: since, watchIndices: nil)
        } catch {
            streams.remove(streamID)
            let failure = SolverError.fromSubscribe(error, sessionID: session.id)
            _ = stream.send(framing.frame(json: WireEncoder.error(failure, ref: nil), type: "error"))
            stream.finish()
        }
    }

    /// This node's sessions the principal may use; in cluster mode, for admins (and on an open server), also every
    /// other session of the cluster with its owner (`remote`). Others cannot be shown sessions they may not use:
    /// their access rules live with their owners.
    private func listSessions(_ reply: Reply, _ principal: Principal) {
        let local = registry.all.filter { access.mayAccess(principal, $0) }.map(\.status)
        guard let remote = configuration.remoteSessions, principal.isAdmin || gate.isOpen else {
            return reply.json(200, WireEncoder.sessionList(local))
        }
        // Reading the cluster's directory is a store round trip: never on the lws thread.
        work.async { [registry] in
            do {
                let elsewhere = try remote.sessionDirectory().filter { registry.session($0.id) == nil }
                reply.json(200, WireEncoder.sessionList(local, remote: elsewhere))
            } catch {
                reply.error(SolverError(.clusterUnavailable, "the cluster store is unreachable (\(error)); try again shortly"))
            }
        }
    }

    /// `cluster`: the node list read from the cluster (nil in embedded mode, where this node is the only one).
    /// When the store is unreachable this node is listed alone as unhealthy, since it cannot heartbeat either.
    func serviceStatus(cluster: Result<[NodeInfo], any Error>?) -> [UInt8] {
        let alone = [NodeInfo(id: configuration.nodeID, healthy: cluster == nil)]
        let nodes = (try? cluster?.get()) ?? alone
        return WireEncoder.serviceStatus(ServiceStatus(
            nodeID: configuration.nodeID, version: configuration.version, uptimeSeconds: EventClock.now() - startedAt,
            sessions: registry.count, memoryBytes: registry.memoryBytes, webSocketConnections: clients.withLock { $0.count },
            streams: streams.count, draining: isDraining, schedulerWidth: registry.scheduler.width,
            mode: cluster == nil ? "embedded" : "cluster",
            clusterStoreReachable: cluster.map { (try? $0.get()) != nil }, nodes: nodes))
    }

    /// Sets the gauges measured at scrape time, then renders the backend's text.
    func metricsText() -> String? {
        guard let render = configuration.metricsExposition else { return nil }
        let statuses = registry.all.map(\.status)
        metrics.sessionsActive.record(statuses.count)
        metrics.sessionsConverged.record(statuses.filter { $0.phase == .converged }.count)
        metrics.sessionMemory.record(statuses.reduce(0) { $0 + $1.memoryBytes })
        metrics.webSocketConnections.record(clients.withLock { $0.count })
        metrics.streamsOpen.record(streams.count)
        return render()
    }
}
