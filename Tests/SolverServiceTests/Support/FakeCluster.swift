import Dispatch
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire
import Synchronization

@testable import SolverServer

/// Other nodes of a cluster, in process: sessions it "owns" answer through the `RemoteSessions` calls the
/// service makes, on its own queue (never on the caller's thread, like Redis replies). Reads can be held until the
/// test releases them, events are fed by the test, and the queries this node is asked by "other nodes" go through
/// the answerer the service installed.
final class FakeCluster: RemoteSessions, @unchecked Sendable {
    struct Forwarded { let id: SessionID; let update: CostUpdate; let principal: String }
    private struct State {
        var owned: Set<SessionID> = []
        var nextSeq: UInt64 = 100
        var forwarded: [Forwarded] = []
        var asked: [(SessionID, RemoteQuery)] = []
        var holdingReads = false
        var heldReads: [@Sendable () -> Void] = []
        var feeds: [SessionID: [UInt64: @Sendable (UInt64, String, [UInt8]) -> Void]] = [:]
        var nextFeed: UInt64 = 1
        var answerer: RemoteQuery.Answerer?
        var failure: SolverError?
    }
    private let state = Mutex(State())
    private let replies = DispatchQueue(label: "test.fake-cluster")

    /// A session id owned by another node from now on.
    func own() -> SessionID {
        let id = SessionID.generate()
        state.withLock { _ = $0.owned.insert(id) }
        return id
    }

    var forwarded: [Forwarded] { state.withLock { $0.forwarded } }
    var asked: [(SessionID, RemoteQuery)] { state.withLock { $0.asked } }
    var openFeeds: Int { state.withLock { $0.feeds.values.reduce(0) { $0 + $1.count } } }
    /// Every later read fails with `error` (an owner that cannot be reached).
    func failReads(with error: SolverError?) { state.withLock { $0.failure = error } }

    /// Reads wait until `releaseReads` (an owner that answers slowly).
    func holdReads() { state.withLock { $0.holdingReads = true } }
    func releaseReads() {
        let held = state.withLock { s in
            s.holdingReads = false
            defer { s.heldReads.removeAll() }
            return s.heldReads
        }
        held.forEach { $0() }
    }

    /// An event of a remote session, as the cluster's feed delivers it.
    func emit(_ id: SessionID, seq: UInt64, type: String, extra: String = "") {
        let json = Array(#"{"type":"\#(type)","session_id":"\#(id)","seq":\#(seq)\#(extra)}"#.utf8)
        for deliver in state.withLock({ Array(($0.feeds[id] ?? [:]).values) }) { deliver(seq, type, json) }
    }

    /// Asks this node, as another node would, to answer `query` about one of its sessions.
    func askThisNode(_ query: RemoteQuery, _ id: SessionID, principal: Principal) async -> RemoteQuery.Answer {
        let answerer = state.withLock { $0.answerer }!
        return await withCheckedContinuation { continuation in
            answerer(query, id, principal) { continuation.resume(returning: $0) }
        }
    }

    // MARK: RemoteSessions

    func forward(_ id: SessionID, _ update: CostUpdate, principal: Principal,
                 completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        let result: Result<UInt64, SolverError> = state.withLock { s in
            guard s.owned.contains(id) else {
                return .failure(SolverError(.updateNotDurable, "session \(id) has no live owner right now", field: "session_id"))
            }
            s.forwarded.append(Forwarded(id: id, update: update, principal: principal.name))
            s.nextSeq += 1
            return .success(s.nextSeq)
        }
        replies.async { completion(result) }
    }

    func ask(_ id: SessionID, _ query: RemoteQuery, principal: Principal,
             completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        let (answer, hold) = state.withLock { s -> (RemoteQuery.Answer, Bool) in
            s.asked.append((id, query))
            if let failure = s.failure { return (.failure(failure), s.holdingReads) }
            guard s.owned.contains(id) else {
                return (.failure(SolverError(.sessionNotFound, "no session \(id)", field: "session_id")), s.holdingReads)
            }
            return (.success(Self.body(for: query, id)), s.holdingReads)
        }
        let reply: @Sendable () -> Void = { [replies] in replies.async { completion(answer) } }
        if hold { state.withLock { $0.heldReads.append(reply) } } else { reply() }
    }

    func subscribe(_ id: SessionID, since: UInt64?,
                   deliver: @escaping @Sendable (UInt64, String, [UInt8]) -> Void) -> @Sendable () -> Void {
        let token = state.withLock { s in
            defer { s.nextFeed += 1 }
            s.feeds[id, default: [:]][s.nextFeed] = deliver
            return s.nextFeed
        }
        return { [self] in _ = state.withLock { $0.feeds[id]?.removeValue(forKey: token) } }
    }

    func sessionDirectory() throws -> [(id: SessionID, owner: String?)] {
        state.withLock { $0.owned.map { ($0, "node-2") } }
    }

    func answerQueries(with answerer: @escaping RemoteQuery.Answerer) { state.withLock { $0.answerer = answerer } }

    /// What the owner answers: a recognisable body per query.
    static func body(for query: RemoteQuery, _ id: SessionID) -> [UInt8] {
        switch query {
        case .status: Array(#"{"type":"status","session_id":"\#(id)","owner":"node-2"}"#.utf8)
        case .solution(let indices): Array(#"{"type":"solution","session_id":"\#(id)","indices":"\#(indices ?? "")"}"#.utf8)
        case .verify: Array(#"{"type":"verification_result","session_id":"\#(id)","verified":true}"#.utf8)
        case .close: Array(#"{"type":"session_deleted","session_id":"\#(id)"}"#.utf8)
        }
    }
}
