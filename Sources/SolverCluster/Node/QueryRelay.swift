import Dispatch
import SolverCore
import SolverSecurity
import SolverServer
import SolverSession
import SolverWire
import Synchronization

/// Status, solution and verify reads of sessions owned by another node (RPC kinds `status`, `solution`,
/// `verify`), and closing them (`close`). The owner answers through the service's own read path (`RemoteSessions.answerQueries`), so the
/// relayed body is the owner's answer byte for byte and the owner's access rules apply.
///
/// Answers travel through Redis pub/sub, whose subscriber output buffer Redis cuts at 32 MB by default
/// (`client-output-buffer-limit pubsub`): answers over `maxAnswerBytes` are refused with `too_large` instead.
final class QueryRelay: Sendable {
    private let rpc: ClusterRPC
    private let store: SessionStore
    private let answerer = Mutex<RemoteQuery.Answerer?>(nil)
    /// 16 MiB: a whole solution of about 700,000 unknowns as JSON.
    static let maxAnswerBytes = 16 << 20

    init(rpc: ClusterRPC, store: SessionStore) {
        self.rpc = rpc
        self.store = store
        // Reads are independent of each other: they run concurrently (each session orders its own work).
        let queue = DispatchQueue(label: "solverd.cluster.rpc.queries", attributes: .concurrent)
        for kind in ["status", "solution", "verify", "close"] {
            rpc.handle(kind, on: queue) { [self] request, respond in serve(request, respond) }
        }
    }

    func install(_ answerer: @escaping RemoteQuery.Answerer) { self.answerer.withLock { $0 = answerer } }

    /// Asks the owner of `id`; `completion` gets its answer or a clear error within the query's timeout.
    func ask(_ id: SessionID, _ query: RemoteQuery, principal: Principal,
             completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        let (kind, body) = Self.encode(query)
        rpc.call(kind, session: id, principal: principal, body: body, timeout: Self.timeout(query)) { [store] result in
            completion(result.mapError { Self.error($0, id, registered: { (try? store.isRegistered(id)) ?? true }) })
        }
    }

    /// Seconds to wait for the owner: a verification runs probes on the session's queue, reads only wait their turn.
    static func timeout(_ query: RemoteQuery) -> Double {
        if case .verify = query { return 15 }
        return 5
    }

    private static func error(_ failure: ClusterRPC.Failure, _ id: SessionID, registered: () -> Bool) -> SolverError {
        switch failure {
        case .noOwner:
            // Without a lease the session either ended (gone from the index) or is between owners.
            guard registered() else { return SolverError(.sessionNotFound, "no session \(id)", field: "session_id") }
            return SolverError(.ownerUnavailable, "session \(id) has no live owner right now (failover in progress); retry shortly",
                               field: "session_id")
        case .unreachable(let owner):
            return SolverError(.ownerUnavailable,
                "the node holding session \(id) (\(owner)) is unreachable; another node takes the session over within its lease — retry shortly",
                field: "session_id")
        case .timedOut(let owner, let seconds):
            return SolverError(.ownerTimeout, "the node holding session \(id) (\(owner)) did not answer within \(Int(seconds)) s; retry",
                               field: "session_id")
        case .store(let reason):
            return SolverError(.clusterUnavailable, "the cluster store is unreachable (\(reason)); try again shortly")
        case .refused(let error):
            return error
        }
    }

    /// The owner's side: decodes the query, answers it like a local read, refuses answers too large to relay.
    private func serve(_ request: RPCMessage.Request, _ respond: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        guard let answerer = answerer.withLock({ $0 }) else {
            return respond(.failure(SolverError(.ownerUnavailable, "the owner node is not serving reads yet; retry shortly")))
        }
        guard let id = try? SessionID(validating: request.session), let query = Self.decode(request.kind, request.body) else {
            return respond(.failure(SolverError(.internal, "malformed '\(request.kind)' request")))
        }
        answerer(query, id, request.principal) { answer in
            if case .success(let body) = answer, body.count > Self.maxAnswerBytes {
                return respond(.failure(SolverError(.tooLarge,
                    "the answer is \(body.count >> 20) MiB; nodes relay at most \(Self.maxAnswerBytes >> 20) MiB to each other — ask for fewer `indices`, or ask the owning node (GET /api/v1/cluster/sessions/\(id) names it)",
                    field: "indices")))
            }
            respond(answer)
        }
    }

    /// Query → (RPC kind, JSON body); `decode` is its inverse.
    static func encode(_ query: RemoteQuery) -> (String, [UInt8]) {
        var w = JSONWriter()
        let kind: String
        switch query {
        case .status:
            kind = "status"
            w.object { _ in }
        case .solution(let indices):
            kind = "solution"
            w.object { w in w.field("indices", indices) }
        case .verify(let probeCount, let indices):
            kind = "verify"
            w.object { w in
                if let probeCount { w.field("probe_count", probeCount) }
                if let indices { w.field("indices", indices) }
            }
        case .close:
            kind = "close"
            w.object { _ in }
        }
        return (kind, w.bytes)
    }

    static func decode(_ kind: String, _ body: [UInt8]) -> RemoteQuery? {
        guard let json = try? JSONReader.parse(body) else { return nil }
        switch kind {
        case "status":
            return .status
        case "solution":
            if case .string(let text)? = json["indices"] { return .solution(indices: text) }
            return .solution(indices: nil)
        case "verify":
            var probeCount: Int?
            if case .number(let n)? = json["probe_count"] { probeCount = Int(exactly: n) }
            let indices = json["indices"]?.arrayElements?.compactMap { element -> Int? in
                if case .number(let n) = element { return Int(exactly: n) } else { return nil }
            }
            return .verify(probeCount: probeCount, indices: indices)
        case "close":
            return .close
        default:
            return nil
        }
    }
}
