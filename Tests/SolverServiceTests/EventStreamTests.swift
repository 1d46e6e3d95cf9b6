import SolverWire
import Testing

@testable import SolverServer

/// NDJSON event streams in process (Tests/e2e/test_streams.py over sockets).
@Suite("SolverService event streams")
struct EventStreamTests {
    let app = TestApp()

    /// The records of a finished NDJSON body.
    func records(_ response: TestResponse) -> [JSONValue] {
        response.text.split(separator: "\n").map { (try? JSONReader.parse(String($0))) ?? .null }
    }

    /// Session events: increasing seqs, at least one iteration update, and exactly one convergence signal, last.
    func expectSessionEvents(_ events: [JSONValue], of id: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let types = events.map { $0.type ?? "?" }
        let seqs = events.compactMap(\.seq)
        #expect(seqs.count == events.count && seqs == seqs.sorted() && Set(seqs).count == seqs.count, "\(seqs)",
                sourceLocation: sourceLocation)
        #expect(events.allSatisfy { $0["session_id"]?.string == id }, sourceLocation: sourceLocation)
        #expect(types.contains("iteration_update"), "\(types)", sourceLocation: sourceLocation)
        #expect(types.last == "convergence_signal" && types.filter { $0 == "convergence_signal" }.count == 1, "\(types)",
                sourceLocation: sourceLocation)
        #expect(events.last?["converged"]?.bool == true, sourceLocation: sourceLocation)
        #expect(events.last?["criteria"]?["residual_threshold"]?.double == 1e-12, sourceLocation: sourceLocation)
    }

    @Test func eventsUntilConvergedReplayTheSessionAndEnd() async throws {
        let id = try await app.createSession()
        let exchange = app.send("GET", "/api/v1/sessions/\(id)/events?until=converged&since=0")
        let response = try await exchange.response()
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/x-ndjson")
        #expect(response.headers["cache-control"] == "no-cache")
        expectSessionEvents(records(response), of: id)
        _ = try await poll("the stream to leave the registry") { app.service.streams.count == 0 ? true : nil }
    }

    @Test func solveStreamStartsWithSessionCreated() async throws {
        let response = try await app.send("POST", "/api/v1/solve-stream?until=converged", body: jsonBytes(TinySystem.request()))
            .response()
        #expect(response.status == 200)
        let all = records(response)
        #expect(all.first?.type == "session_created")
        #expect(all.first?["rows"]?.int == TinySystem.rows)
        let id = try #require(all.first?["session_id"]?.string)
        expectSessionEvents(Array(all.dropFirst()), of: id)
    }

    @Test func liveStreamDeliversAnUpdatesConvergenceAndStopsWhenTheClientLeaves() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let exchange = app.send("GET", "/api/v1/sessions/\(id)/events")
        #expect(try await exchange.head().status == 200)
        #expect(app.service.streams.count == 1)
        let ack = try await app.post("/api/v1/swarm/costs", ["session_id": id, "delta_costs": ["indices": [1], "values": [0.25]]])
        let seq = try #require(ack.json.seq)
        var signal = JSONValue.null
        while signal.type != "convergence_signal" {
            signal = try JSONReader.parse(try await exchange.nextLine())
            #expect((signal.seq ?? 0) > seq, "a live stream starts after the update: \(signal)")
        }
        #expect(signal["last_applied_seq"]?.int == Int(seq))
        exchange.disconnect()
        #expect(app.service.streams.count == 0)
        #expect(try app.session(id).hub.subscriberCount == 0)
    }

    @Test func streamErrors() async throws {
        let missing = try await app.get("/api/v1/sessions/no-such-session/events")
        #expect(missing.status == 404 && missing.error?["code"]?.string == "session_not_found")
        let id = try await app.createSession()
        let badResume = try await app.request("GET", "/api/v1/sessions/\(id)/events", headers: [("last-event-id", "abc")])
        #expect(badResume.status == 422 && badResume.error?["field"]?.string == "Last-Event-ID", "\(badResume)")
        let badUntil = try await app.request("POST", "/api/v1/solve-stream?until=later", body: jsonBytes(TinySystem.request()))
        #expect(badUntil.status == 422 && badUntil.error?["field"]?.string == "until", "\(badUntil)")
    }
}
