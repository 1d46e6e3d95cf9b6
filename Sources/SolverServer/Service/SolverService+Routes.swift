import Dispatch
import Foundation
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// The HTTP API (docs/design.md §2.1 plus the session endpoints). Each handler validates, answers errors at once, and
/// moves O(nnz) work to `work`.
extension SolverService {
    func route(_ request: HTTPRequest, _ reply: Reply, _ principal: Principal) throws {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = request.method
        // `/api/v1/status/` is not `/api/v1/status`: lws ends a path at a decoded %0D or %0A, so an empty segment can
        // be what is left of an id, and must not name another resource.
        if parts.first == "api", request.path.hasSuffix("/") || request.path.contains("//") {
            throw SolverError(.notFound, "no endpoint \(request.path)", field: nil)
        }
        switch parts {
        case ["health"], ["api", "v1", "health"]:
            try allow(method, ["GET", "HEAD"])
            health(reply)
        case ["api", "v1", "openapi.json"]:
            try allow(method, ["GET", "HEAD"])
            reply.json(200, openAPIBody)
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
            respond(method == "DELETE" ? .close : .status, about: try SessionID(validating: p[3]), principal: principal, reply: reply)
        case let p where p.count == 5 && p[0...2] == ["api", "v1", "sessions"] && p[4] == "solution":
            try allow(method, ["GET"])
            respond(.solution(indices: request.queryValue("indices")), about: try SessionID(validating: p[3]),
                    principal: principal, reply: reply)
        case let p where p.count == 5 && p[0...2] == ["api", "v1", "sessions"] && p[4] == "events":
            try allow(method, ["GET"])
            try streamEvents(try SessionID(validating: p[3]), request, reply, principal)
        case ["api", "v1", "swarm", "costs"]:
            try allow(method, ["POST"])
            try gate.admitUpdate(principal, ip: request.remoteAddress, bytes: request.body.count)
            let request = try CostUpdateRequest.decodeUpdateOrReport(try parseBody(request))
            // Answered when the update is acknowledged (durable in cluster mode), from whichever thread that is.
            submitUpdate(request, principal: principal) { result in
                switch result {
                case .success(let seq):
                    reply.json(202, WireEncoder.ack(sessionID: request.sessionID, seq: seq, ref: nil, echoing: request.update))
                case .failure(let error):
                    reply.error(error)
                }
            }
        case ["api", "v1", "swarm", "join"]:
            try allow(method, ["POST"])
            // A single node has no swarm to join; a body, when sent, is still checked as the cluster checks it.
            if !request.body.isEmpty { _ = try SwarmJoinRequest.decode(try parseBody(request)) }
            reply.json(200, WireEncoder.swarmNodes([configuration.nodeID], selfID: configuration.nodeID))
        case ["api", "v1", "verify"]:
            try allow(method, ["POST"])
            let verify = try VerifyRequest.decode(try parseBody(request))
            respond(.verify(probeCount: verify.probeCount, indices: verify.indices), about: verify.sessionID,
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
            respond(.status, about: try SessionID(validating: p[3]), principal: principal, reply: reply)
        case let p where p.first == "api":
            throw SolverError(.notFound, "no endpoint \(request.path)", field: nil)
        default:
            try allow(method, ["GET", "HEAD"])
            try serveStatic(request, reply)
        }
    }

    /// Throws 405 naming the allowed methods, in the message and in `Allow` (RFC 9110 §15.5.6).
    func allow(_ method: String, _ allowed: [String]) throws {
        guard allowed.contains(method) else {
            let list = allowed.joined(separator: ", ")
            throw GateRefusal(error: SolverError(.methodNotAllowed, "\(method) is not allowed here; use \(list)", field: nil),
                              headers: [("allow", list)], reason: "method")
        }
    }

    func parseBody(_ request: HTTPRequest) throws -> JSONValue {
        guard !request.body.isEmpty else {
            throw SolverError(.missingField, "the request needs a JSON body", field: "body")
        }
        try JSONContentType.require(request.headers)
        return try JSONReader.parse(request.body)
    }

    func health(_ reply: Reply) {
        if isDraining {
            reply.json(503, WireEncoder.health(status: "draining", sessions: registry.count))
        } else {
            reply.json(200, WireEncoder.health(status: "ok", sessions: registry.count))
        }
    }

    /// Answers a session query with its JSON body (200) or its error.
    private func respond(_ query: RemoteQuery, about id: SessionID, principal: Principal, reply: Reply) {
        self.query(query, about: id, principal: principal) { answer in
            switch answer {
            case .success(let body): reply.json(200, body)
            case .failure(let error): reply.error(error)
            }
        }
    }

    /// Creates a session off the service thread; answers 201 with `session_created`, or streams its events.
    private func createSession(_ request: HTTPRequest, _ reply: Reply, _ principal: Principal, streaming: Bool) {
        let framing: EventFraming = (request.headers["accept"] ?? "").contains("text/event-stream") ? .sse : .ndjson
        let untilConverged = request.queryValue("until") == "converged"
        if let until = request.queryValue("until"), until != "converged" {
            reply.error(SolverError(.invalidArgument, "until must be 'converged'", field: "until"))
            return
        }
        work.async { [self] in
            do {
                let (solve, json) = try decodeSolveRequest(request)
                let session = try createSession(solve.spec, json: json, principal: principal)
                if streaming {
                    try openEventStream(session.id, principal: principal, ip: request.remoteAddress, framing: framing, since: 0,
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

    /// A JSON `solve_request`, or a Matrix Market body (`text/x-matrix-market`) with the rest of the request in the
    /// query; routed before the JSON-only check, and like JSON no cross-site form can send that type.
    private func decodeSolveRequest(_ request: HTTPRequest) throws -> (SolveRequest, JSONValue) {
        guard JSONContentType.mediaType(request.headers) == SolveRequest.matrixMarketMediaType else {
            let json = try parseBody(request)
            return (try SolveRequest.decode(json, limits: configuration.matrixLimits), json)
        }
        guard !request.body.isEmpty else {
            throw SolverError(.missingField, "the request needs a Matrix Market body", field: "body")
        }
        return try SolveRequest.decode(matrixMarket: request.body, query: request.query, limits: configuration.matrixLimits,
                                       ignoring: ["until", "access_token"])
    }

    /// A session's events as NDJSON/SSE, wherever the session lives.
    private func streamEvents(_ id: SessionID, _ request: HTTPRequest, _ reply: Reply, _ principal: Principal) throws {
        let framing: EventFraming = (request.headers["accept"] ?? "").contains("text/event-stream") ? .sse : .ndjson
        let sinceText = request.headers["last-event-id"] ?? request.queryValue("since")
        let since: UInt64? = try sinceText.map { text in
            guard let value = UInt64(text) else {
                throw SolverError(.invalidArgument, "must be a sequence number, got '\(text)'", field: request.headers["last-event-id"] != nil ? "Last-Event-ID" : "since")
            }
            return value
        }
        try openEventStream(id, principal: principal, ip: request.remoteAddress, framing: framing, since: since,
                            untilConverged: request.queryValue("until") == "converged", reply: reply, first: nil)
    }

    /// Subscribes a streamed response to the session; the response starts (200, then `first`) once the
    /// subscription is in place, or an error is answered instead. The stream ends with the session, at the first
    /// convergence signal when `untilConverged`, or when the client leaves (which unsubscribes it).
    private func openEventStream(_ id: SessionID, principal: Principal, ip: String, framing: EventFraming, since: UInt64?,
                                 untilConverged: Bool, reply: Reply, first: [UInt8]?) throws {
        let ticket = try gate.openStream(principal, ip: ip)
        let streamID = streams.reserveID()
        let output = LazyStreamOutput(reply: reply, framing: framing, streams: streams, streamID: streamID)
        subscribe(id, principal: principal, since: since, watchIndices: nil,
                  output: EventOutput(transport: output, framing: framing, untilConverged: untilConverged),
                  opened: { [metrics] _ in
                      guard output.start(first: first) else { return }
                      metrics.streamsOpened.increment()
                  },
                  completion: { [gate, streams] result in
                      switch result {
                      case .success(let subscription):
                          guard let stream = output.stream,
                                output.register(StreamRegistry.Entry(stream: stream, framing: framing, cancel: subscription.cancel,
                                                                     onRemove: { gate.release(ticket) })) else {
                              // The client left before the stream started, or it already ended (until=converged).
                              subscription.cancel()
                              return gate.release(ticket)
                          }
                          stream.onClose {
                              subscription.cancel()
                              streams.remove(streamID)
                          }
                      case .failure(let error):
                          gate.release(ticket)
                          guard let stream = output.stream else { return reply.error(error) }
                          // The stream had started (`opened` ran): the error becomes its last record.
                          _ = stream.send(framing.frame(json: WireEncoder.error(error, ref: nil), type: "error"))
                          stream.finish()
                      }
                  })
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
            nodeID: configuration.nodeID, version: configuration.version, commit: configuration.commit,
            uptimeSeconds: EventClock.now() - startedAt,
            sessions: registry.count, memoryBytes: registry.memoryBytes, webSocketConnections: clients.withLock { $0.count },
            streams: streams.count, draining: isDraining, schedulerWidth: registry.scheduler.width,
            solvingPriority: registry.scheduler.solvingPriorityNow.rawValue,
            mode: cluster == nil ? "embedded" : "cluster",
            clusterStoreReachable: cluster.map { (try? $0.get()) != nil }, nodes: nodes))
    }

    /// Sets the gauges measured at scrape time, then renders the backend's text and the latency stages.
    func metricsText() -> String? {
        guard let render = configuration.metricsExposition else { return nil }
        let statuses = registry.all.map(\.status)
        metrics.sessionsActive.record(statuses.count)
        metrics.sessionsConverged.record(statuses.filter { $0.phase == .converged }.count)
        metrics.sessionMemory.record(statuses.reduce(0) { $0 + $1.memoryBytes })
        metrics.webSocketConnections.record(clients.withLock { $0.count })
        metrics.streamsOpen.record(streams.count)
        metrics.solvingIdlePriority.record(registry.scheduler.solvingPriorityNow == .idle ? 1 : 0)
        metrics.countSolvingFallbacks(upTo: registry.scheduler.solvingFallbacks)
        return render() + registry.telemetry.stages.prometheusText()
    }
}
