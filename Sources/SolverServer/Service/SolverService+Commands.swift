import Foundation
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// The commands of the API, each written once and served by both transports (HTTP routes and WebSocket
/// messages): find a session wherever it lives, push an update, read or verify or close, subscribe. None waits:
/// answers come through completions, on any thread.
extension SolverService {
    /// The session `id` for `principal`: held here (403 `forbidden` when the principal may not use it), held by
    /// another node (cluster mode, unless `localOnly`; the owner applies the access rules), or 404
    /// `session_not_found`.
    func handle(_ id: SessionID, for principal: Principal, localOnly: Bool = false) throws -> any SessionHandle {
        if let session = registry.session(id) {
            try access.check(principal, session)
            return LocalSessionHandle(session: session, registry: registry)
        }
        if !localOnly, let cluster = configuration.remoteSessions {
            return RemoteSessionHandle(id: id, principal: principal, cluster: cluster)
        }
        throw SolverError(.sessionNotFound, "no session \(id)", field: "session_id")
    }

    /// `cost_update` / `cost_report` (`POST /api/v1/swarm/costs`, WebSocket): `completion` gets the ack seq.
    func submitUpdate(_ incoming: CostUpdateRequest, principal: Principal,
                      completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        let request = incoming.sourcedAt(configuration.nodeID)
        do {
            try handle(request.sessionID, for: principal).submit(request.update) { [metrics] result in
                if case .success = result { metrics.updatesAccepted.increment() }
                completion(result)
            }
        } catch {
            completion(.failure(SolverError.wrapping(error)))
        }
    }

    /// Status, solution, verification or close of a session, as the JSON body its owner answers with.
    func query(_ query: RemoteQuery, about id: SessionID, principal: Principal,
               completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        do {
            try handle(id, for: principal).ask(query, completion: completion)
        } catch {
            completion(.failure(SolverError.wrapping(error)))
        }
    }

    /// Subscribes `output` to a session's events (see `SessionHandle.subscribe`).
    func subscribe(_ id: SessionID, principal: Principal, since: UInt64?, watchIndices: [Int]?, output: EventOutput,
                   opened: @escaping @Sendable (UInt64) -> Void,
                   completion: @escaping @Sendable (Result<EventSubscription, SolverError>) -> Void) {
        do {
            try handle(id, for: principal).subscribe(since: since, watchIndices: watchIndices, output: output,
                                                     opened: opened, completion: completion)
        } catch {
            completion(.failure(SolverError.wrapping(error)))
        }
    }

    /// How this node answers other nodes' queries about the sessions it holds (cluster mode): exactly as its own
    /// routes would, so a non-owner's answer is the owner's, byte for byte.
    func answerLocally(_ query: RemoteQuery, about id: SessionID, principal: Principal,
                       completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        do {
            try handle(id, for: principal, localOnly: true).ask(query, completion: completion)
        } catch {
            completion(.failure(SolverError.wrapping(error)))
        }
    }

    /// `?indices=3,7,9` → [3, 7, 9], each in 0..<dimension; nil when absent (the whole solution).
    static func solutionIndices(_ text: String?, dimension: Int) throws -> [Int]? {
        try text.map { list in
            try list.split(separator: ",").enumerated().map { k, part in
                guard let i = Int(part.trimmingCharacters(in: .whitespaces)), i >= 0, i < dimension else {
                    throw SolverError(.indexOutOfRange, "'\(part)' is not an index in 0..<\(dimension)", field: "indices[\(k)]")
                }
                return i
            }
        }
    }
}
