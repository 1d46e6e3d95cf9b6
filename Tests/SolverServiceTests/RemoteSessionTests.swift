import Dispatch
import Foundation
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire
import Synchronization
import Testing

@testable import SolverServer

/// Sessions held by another node (`FakeCluster`): every command reaches them through the same session handle as a
/// local one — updates forwarded, reads relayed, events fed — over HTTP and WebSocket alike.
@Suite("SolverService with sessions on other nodes")
struct RemoteSessionTests {
    let cluster = FakeCluster()
    let app: TestApp

    init() { app = TestApp(AppOptions(remoteSessions: cluster)) }

    @Test func updatesAreForwardedToTheOwnerOverBothTransports() async throws {
        let id = cluster.own()
        let http = try await app.post("/api/v1/swarm/costs", ["type": "cost_update", "session_id": id.rawValue,
                                                             "delta_costs": ["indices": [1], "values": [0.5]]])
        #expect(http.status == 202)
        #expect(http.json["seq"]?.int == 101)
        let ws = try app.connect()
        ws.send(json: ["type": "cost_update", "id": "u1", "session_id": id.rawValue,
                       "delta_costs": ["indices": [2], "values": [0.25]]])
        let ack = try await ws.next(type: "ack")
        #expect(ack["ref"]?.string == "u1" && ack["seq"]?.int == 102)
        #expect(cluster.forwarded.map(\.id) == [id, id])
        #expect(cluster.forwarded.map(\.update.deltaIndices) == [[1], [2]])
        #expect(cluster.forwarded.allSatisfy { $0.principal == Principal.anonymous.name })
        // An update for a session nobody owns is a clear error, not silence.
        let unknown = try await app.post("/api/v1/swarm/costs", ["type": "cost_update", "session_id": SessionID.generate().rawValue,
                                                                "delta_costs": ["indices": [0], "values": [1]]])
        #expect(unknown.status == 503 && unknown.error?["code"]?.string == "update_not_durable")
    }

    @Test func readsAndCloseAreRelayedToTheOwnerUnchanged() async throws {
        let id = cluster.own()
        let status = try await app.get("/api/v1/status/\(id)")
        #expect(status.status == 200 && status.body == FakeCluster.body(for: .status, id))
        let solution = try await app.get("/api/v1/sessions/\(id)/solution?indices=1,2")
        #expect(solution.body == FakeCluster.body(for: .solution(indices: "1,2"), id))
        let verify = try await app.post("/api/v1/verify", ["session_id": id.rawValue, "probe_count": 3])
        #expect(verify.json["type"]?.string == "verification_result")
        let deleted = try await app.delete("/api/v1/sessions/\(id)")
        #expect(deleted.status == 200 && deleted.json["type"]?.string == "session_deleted")
        #expect(cluster.asked.map(\.1) == [.status, .solution(indices: "1,2"), .verify(probeCount: 3, indices: nil), .close])
        cluster.failReads(with: SolverError(.ownerUnavailable, "owner n2 is unreachable"))
        let down = try await app.get("/api/v1/sessions/\(id)")
        #expect(down.status == 503 && down.error?["code"]?.string == "owner_unavailable")
    }

    @Test func webSocketVerifyOfARemoteSessionCarriesItsRef() async throws {
        let id = cluster.own()
        let ws = try app.connect()
        ws.send(json: ["type": "verify", "id": "v7", "session_id": id.rawValue])
        let result = try await ws.next(type: "verification_result")
        #expect(result["ref"]?.string == "v7" && result["session_id"]?.string == id.rawValue)
    }

    @Test func aRemoteSubscriptionHoldsLaterMessagesUntilItIsInPlace() async throws {
        let id = cluster.own()
        let ws = try app.connect()
        cluster.holdReads()
        ws.send(json: ["type": "subscribe", "id": "s", "session_id": id.rawValue, "since_seq": 5])
        ws.send(json: ["type": "unsubscribe", "id": "u", "session_id": id.rawValue])
        // The owner has not answered: the unsubscribe waits behind the subscription; a ping does not.
        ws.send(json: ["type": "ping", "id": "p"])
        #expect(try await ws.next().type == "pong")
        cluster.releaseReads()
        let subscribed = try await ws.next()
        #expect(subscribed.type == "subscribed" && subscribed["ref"]?.string == "s" && subscribed["next_seq"]?.int == 6)
        let unsubscribed = try await ws.next()
        #expect(unsubscribed.type == "unsubscribed" && unsubscribed["ref"]?.string == "u")
        try await poll("the feed to be cancelled") { cluster.openFeeds == 0 ? true : nil }
    }

    @Test func remoteEventsArriveInOrderAndEndWithTheSession() async throws {
        let id = cluster.own()
        let ws = try app.connect()
        ws.send(json: ["type": "subscribe", "id": "s", "session_id": id.rawValue])
        _ = try await ws.next(type: "subscribed")
        try await poll("the feed to open") { cluster.openFeeds == 1 ? true : nil }
        cluster.emit(id, seq: 7, type: "iteration_update")
        cluster.emit(id, seq: 8, type: "session_closed")
        #expect(try await ws.next()["seq"]?.int == 7)
        #expect(try await ws.next(type: "session_closed")["seq"]?.int == 8)
        try await poll("the feed to be cancelled") { cluster.openFeeds == 0 ? true : nil }
        // The subscription ended with the session: there is nothing left to unsubscribe.
        ws.send(json: ["type": "unsubscribe", "id": "u", "session_id": id.rawValue])
        let reply = try await ws.next()
        #expect(reply.type == "error" && reply["code"]?.string == "session_not_found" && reply["ref"]?.string == "u")
        // The same over NDJSON: the stream starts once the owner answered and ends after `session_closed`.
        let stream = app.send("GET", "/api/v1/sessions/\(id)/events?since=8")
        #expect(try await stream.head().status == 200)
        try await poll("the stream's feed to open") { cluster.openFeeds == 1 ? true : nil }
        cluster.emit(id, seq: 9, type: "session_closed")
        #expect(try await stream.nextLine().contains(#""seq":9"#))
        #expect(try await stream.response().status == 200)
    }

    @Test func otherNodesAreAnsweredExactlyLikeThisNodesRoutes() async throws {
        let id = try await app.createSession()
        // Settled first: two reads of a session still solving differ in x and the iteration.
        try await app.converged(id)
        let sessionID = try SessionID(validating: id)
        let asked = await cluster.askThisNode(.solution(indices: "0,3"), sessionID, principal: .anonymous)
        let routed = try await app.get("/api/v1/sessions/\(id)/solution?indices=0,3")
        #expect(try asked.get() == routed.body)
        let missing = await cluster.askThisNode(.status, SessionID.generate(), principal: .anonymous)
        #expect(throws: SolverError.self) { try missing.get() }
    }
}

/// The service never waits on a thread that must not (the lws service thread), however slow the journal is: with
/// every append held by the store, pushes, status polls, pings and health are answered from a marked thread
/// without a single blocking call, and the held pushes are acknowledged once the store answers.
@Suite("SolverService never waits for the store")
struct NonBlockingServiceTests {
    @Test func aStalledJournalNeverBlocksTheServiceThread() async throws {
        let journal = HeldAppends()
        let app = TestApp(AppOptions(journal: journal))
        let id = try await app.createSession()
        let violations = ViolationLog()
        let update = jsonBytes(["type": "cost_update", "session_id": id, "delta_costs": ["indices": [0], "values": [0.5]]])
        // Everything below runs on one marked thread, as the transport's handler calls do.
        let (push, status, health, ws) = try await onMarkedThread(violations) {
            let push = app.send("POST", "/api/v1/swarm/costs", body: update)
            let status = app.send("GET", "/api/v1/status/\(id)")
            let health = app.send("GET", "/health")
            let ws = try app.connect()
            ws.send(json: ["type": "cost_update", "id": "u", "session_id": id, "delta_costs": ["indices": [1], "values": [1]]])
            ws.send(json: ["type": "ping", "id": "p"])
            ws.send(json: ["type": "subscribe", "id": "s", "session_id": id])
            return (push, status, health, ws)
        }
        #expect(violations.calls.isEmpty)
        #expect(try await status.response().status == 200)
        #expect(try await health.response().status == 200)
        #expect(try await ws.next(type: "pong")["ref"]?.string == "p")
        #expect(try await ws.next(type: "subscribed")["ref"]?.string == "s")
        #expect(journal.held == 2)
        journal.release()
        #expect(try await push.response().status == 202)
        #expect(try await ws.next(type: "ack")["ref"]?.string == "u")
    }

    /// Runs `body` on a new thread marked as never-waiting, recording its violations; returns what it returned.
    func onMarkedThread<T>(_ violations: ViolationLog, _ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let box = UncheckedBox(body)
            Thread.detachNewThread {
                NonBlockingThread.markCurrentThread { what in violations.record(what) }
                continuation.resume(with: Result { try box.value() })
            }
        }
    }
}

/// Blocking calls reported on a marked thread.
final class ViolationLog: Sendable {
    private let log = Mutex<[String]>([])
    func record(_ call: String) { log.withLock { $0.append(call) } }
    var calls: [String] { log.withLock { $0 } }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A journal whose appends all wait until `release` (a store that stalls), completing on its own queue.
final class HeldAppends: SessionJournal, @unchecked Sendable {
    private let waiting = Mutex<[@Sendable (JournalOutcome) -> Void]>([])
    private let queue = DispatchQueue(label: "test.held-appends")
    func open(_ session: Session) throws {}
    func close(_ id: SessionID, reason: SessionCloseReason, session: Session?) {}
    func append(sessionID: SessionID, seq: UInt64, update: CostUpdate, completion: @escaping @Sendable (JournalOutcome) -> Void) {
        waiting.withLock { $0.append(completion) }
    }
    var held: Int { waiting.withLock { $0.count } }
    func release() {
        let all = waiting.withLock { w in defer { w.removeAll() }; return w }
        queue.async { all.forEach { $0(.durable) } }
    }
}
