import SolverWire
import Testing

@testable import SolverServer

/// The WebSocket protocol in process (Tests/e2e/test_websocket.py over sockets): commands, their replies and
/// refs, subscriptions, error frames and closes.
@Suite("SolverService WebSocket commands")
struct WebSocketTests {
    let app = TestApp()

    /// `solve_request` on `ws`; returns the new session's id once it converged (its events read up to the signal).
    func solve(on ws: TestWebSocket, ref: String = "c1") async throws -> String {
        ws.send(json: TinySystem.request(extra: ["type": "solve_request", "id": ref]))
        let created = try await ws.next(type: "session_created")
        let id = try #require(created["session_id"]?.string)
        _ = try await ws.next(type: "convergence_signal")
        return id
    }

    /// The frames `ws` receives up to (not including) the pong that answers a ping sent now: what was queued
    /// before the ping was handled.
    func framesBeforePong(_ ws: TestWebSocket) async throws -> [JSONValue] {
        ws.send(json: ["type": "ping", "id": "barrier"])
        var frames: [JSONValue] = []
        while true {
            let frame = try await ws.next()
            if frame.type == "pong" && frame["ref"]?.string == "barrier" { return frames }
            frames.append(frame)
        }
    }

    @Test func solveRequestCreatesASessionAndStreamsItToConvergence() async throws {
        let ws = try app.connect()
        ws.send(json: TinySystem.request(extra: ["type": "solve_request", "id": "c1"]))
        let created = try await ws.next()
        #expect(created.type == "session_created")
        #expect(created["ref"]?.string == "c1")
        #expect(created["rows"]?.int == TinySystem.rows)
        let id = try #require(created["session_id"]?.string)
        let signal = try await ws.next(type: "convergence_signal")
        #expect(signal["converged"]?.bool == true)
        let events = ws.received[1...ws.lastIndex]
        #expect(events.allSatisfy { $0["session_id"]?.string == id })
        #expect(events.contains { $0.type == "iteration_update" })
        let seqs = events.compactMap(\.seq)
        #expect(seqs.count == events.count && seqs == seqs.sorted(), "\(seqs)")
    }

    @Test func costUpdateIsAckedBeforeAnyEventReflectingIt() async throws {
        let ws = try app.connect()
        let id = try await solve(on: ws)
        ws.send(json: ["type": "cost_update", "id": 7, "session_id": id, "delta_costs": ["indices": [2], "values": [1.5]]])
        let ack = try await ws.next(type: "ack")
        let ackIndex = ws.lastIndex
        #expect(ack["ref"]?.string == "7")
        #expect(ack["session_id"]?.string == id)
        let seq = try #require(ack.seq)
        let early = ws.received[..<ackIndex].filter { ($0["last_applied_seq"]?.int ?? 0) >= Int(seq) }
        #expect(early.isEmpty, "events reflecting update \(seq) came before its ack: \(early)")
        let signal = try await ws.next(type: "convergence_signal") { $0["last_applied_seq"]?.int == Int(seq) }
        #expect(signal["converged"]?.bool == true)
    }

    @Test func subscribeWithSinceSeqReplaysTheRetainedEvents() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let hub = try app.session(id).hub
        let retained = hub.events(after: 0)
        let since = try #require(retained.first?.seq)
        let ws = try app.connect()
        ws.send(json: ["type": "subscribe", "id": "s", "session_id": id, "since_seq": since])
        let subscribed = try await ws.next()
        #expect(subscribed.type == "subscribed")
        #expect(subscribed["ref"]?.string == "s")
        #expect(subscribed["next_seq"]?.int == Int(hub.nextSeq))
        let replay = try await framesBeforePong(ws)
        #expect(replay.compactMap(\.seq) == retained.dropFirst().map(\.seq))
        #expect(replay.last?.type == "convergence_signal")

        // Without since_seq only live events come: nothing before the pong.
        ws.send(json: ["type": "subscribe", "id": "live", "session_id": id])
        #expect(try await ws.next()["ref"]?.string == "live")
        #expect(try await framesBeforePong(ws).isEmpty)
    }

    @Test func watchIndicesCarryTheWatchedEntries() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let ws = try app.connect()
        ws.send(json: ["type": "subscribe", "id": "w", "session_id": id, "watch_indices": [3, 1]])
        #expect(try await ws.next().type == "subscribed")
        ws.send(json: ["type": "cost_update", "id": "u", "session_id": id, "delta_costs": ["indices": [0], "values": [2.0]]])
        let seq = try #require(try await ws.next(type: "ack").seq)
        _ = try await ws.next(type: "convergence_signal") { $0["last_applied_seq"]?.int == Int(seq) }
        let frames = ws.received.filter { $0.type == "iteration_update" }
        #expect(!frames.isEmpty)
        #expect(frames.allSatisfy { $0["x_partial"]?["indices"]?.ints == [3, 1] })
        let expected = TinySystem.solution([TinySystem.b[0] + 2] + TinySystem.b.dropFirst())
        let last = frames.last?["x_partial"]?["values"]?.doubles ?? []
        #expect(agrees(last, [expected[3], expected[1]]), "\(last)")

        ws.send(json: ["type": "subscribe", "id": "bad", "session_id": id, "watch_indices": [0, 4]])
        let error = try await ws.next()
        #expect(error.type == "error" && error["code"]?.string == "index_out_of_range", "\(error)")
        #expect(error["field"]?.string == "watch_indices[1]")
        #expect(error["ref"]?.string == "bad")
    }

    @Test func unsubscribeStopsTheEvents() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let ws = try app.connect()
        ws.send(json: ["type": "subscribe", "session_id": id])
        #expect(try await ws.next().type == "subscribed")
        ws.send(json: ["type": "unsubscribe", "id": "u", "session_id": id])
        let unsubscribed = try await ws.next()
        #expect(unsubscribed.type == "unsubscribed" && unsubscribed["ref"]?.string == "u")
        #expect(unsubscribed["session_id"]?.string == id)
        #expect(try app.session(id).hub.subscriberCount == 0)

        let ack = try await app.post("/api/v1/swarm/costs", ["session_id": id, "delta_costs": ["indices": [1], "values": [1]]])
        try await app.converged(id, applied: try #require(ack.json.seq))
        #expect(try await framesBeforePong(ws).isEmpty)

        ws.send(json: ["type": "unsubscribe", "id": "again", "session_id": id])
        let error = try await ws.next()
        #expect(error["code"]?.string == "session_not_found" && error["field"]?.string == "session_id", "\(error)")
        #expect(error["ref"]?.string == "again")
    }

    @Test func verifyAnswersWithAVerificationResult() async throws {
        let ws = try app.connect()
        let id = try await solve(on: ws)
        ws.send(json: ["type": "verify", "id": "v", "session_id": id, "probe_count": 2])
        let result = try await ws.next(type: "verification_result") { $0["ref"]?.string == "v" }
        #expect(result["verified"]?.bool == true)
        #expect(result["session_id"]?.string == id)
        #expect(result["residual_components"]?.arrayElements?.count == 2)
    }

    /// `id` may be a string or a number; numbers come back in their shortest form.
    @Test(arguments: [(#""p""#, "p"), ("7", "7"), ("7.0", "7"), ("2.5", "2.5")])
    func pingAnswersPongWithTheRef(idLiteral: String, ref: String) async throws {
        let ws = try app.connect()
        ws.send(#"{"type": "ping", "id": \#(idLiteral)}"#)
        let pong = try await ws.next()
        #expect(pong.type == "pong" && pong["ref"]?.string == ref, "\(pong)")
    }

    @Test(arguments: [
        ("{oops", "invalid_json", nil, nil),
        (#"{"type": "teleport", "id": "t"}"#, "unknown_type", "type", "t"),
        (#"{"id": 1}"#, "missing_field", "type", "1"),
        (#"{"type": "subscribe", "session_id": "missing-session", "id": "s"}"#, "session_not_found", "session_id", "s"),
        (#"{"type": "cost_update", "session_id": 5}"#, "invalid_type", "session_id", nil),
        ("[1, 2]", "invalid_type", nil, nil),
    ] as [(String, String, String?, String?)])
    func badMessagesGetAnErrorFrameAndTheConnectionStaysUsable(frame: String, code: String, field: String?,
                                                               ref: String?) async throws {
        let ws = try app.connect()
        ws.send(frame)
        let error = try await ws.next()
        #expect(error.type == "error", "\(error)")
        #expect(error["code"]?.string == code, "\(error)")
        #expect(error["field"]?.string == field, "\(error)")
        #expect(error["ref"]?.string == ref, "\(error)")
        #expect(error["message"]?.string?.isEmpty == false)
        #expect(try await framesBeforePong(ws).isEmpty)
    }

    @Test func binaryFrameIsRefusedAndClosedWith1003() async throws {
        let ws = try app.connect()
        #expect(app.service.clients.withLock { $0.count } == 1)
        ws.send(binary: [0, 1])
        #expect(try await ws.closed() == .unsupportedData)
        #expect(ws.received.count == 1)
        #expect(ws.received.first?["code"]?.string == "invalid_type")
        #expect(app.service.clients.withLock { $0.count } == 0)
    }
}

/// WebSocket budgets: connections per address at the upgrade, and the strikes that close an abusive socket.
@Suite("SolverService WebSocket limits")
struct WebSocketLimitTests {
    /// An open server seen from a non-loopback address (loopback is exempt on open servers), budgets per hour.
    static func limitedApp(requests: Int = 100, connections: Int = 5, strikes: Int = 50) -> TestApp {
        var options = AppOptions()
        options.remoteAddress = "192.0.2.7"
        options.limits.ipRequests = requests
        options.limits.ipWindowSeconds = 3600
        options.limits.ipConcurrentConnections = connections
        options.limits.webSocketStrikes = strikes
        return TestApp(options)
    }

    @Test func rateLimitedMessagesThenStrikesCloseWith1008() async throws {
        // The upgrade takes one request and three messages pass; the next three are strikes.
        let app = Self.limitedApp(requests: 4, strikes: 3)
        let ws = try app.connect()
        for k in 0..<7 { ws.send(json: ["type": "subscribe", "id": "\(k)", "session_id": "missing-session"]) }
        #expect(try await ws.closed() == .policyViolation)
        #expect(ws.received.map { $0["code"]?.string ?? "" } == Array(repeating: "session_not_found", count: 3)
            + Array(repeating: "rate_limited", count: 3))
        #expect(ws.received.map { $0["ref"]?.string ?? "" } == ["0", "1", "2", "3", "4", "5"])
        #expect(app.service.clients.withLock { $0.count } == 0)
    }

    @Test func connectionsPerAddressAreLimitedAtTheUpgrade() async throws {
        let app = Self.limitedApp(connections: 1)
        let first = try app.connect()
        guard case .reject(let status, let headers, _) = app.upgrade() else {
            Issue.record("a second connection from the address was accepted")
            return
        }
        #expect(status == 429)
        #expect(headers.first { $0.0 == "retry-after" }?.1 == "1")
        first.disconnect()
        guard case .accept = app.upgrade() else {
            Issue.record("the connection's slot was not released when it closed")
            return
        }
    }
}
