import SolverWire
import Testing

@testable import SolverServer

/// The HTTP API in process (Tests/e2e/test_http_api.py over sockets): statuses, error codes and fields, bodies.
@Suite("SolverService routes")
struct RouteTests {
    let app = TestApp()

    @Test(arguments: ["/health", "/api/v1/health"])
    func health(path: String) async throws {
        let response = try await app.get(path)
        #expect(response.status == 200)
        #expect(response.json["status"]?.string == "ok")
        #expect(response.json["sessions"]?.int == 0)
    }

    @Test func unknownAPIPathIsNotFound() async throws {
        expectError(try await app.get("/api/v1/nope"), 404, "not_found")
    }

    @Test func wrongMethodIs405NamingTheAllowedOnes() async throws {
        let response = try await app.request("PUT", "/api/v1/sessions")
        expectError(response, 405, "method_not_allowed")
        #expect(response.error?["message"]?.string?.hasSuffix("use GET, POST") == true, "\(response)")
        let delete = try await app.delete("/api/v1/swarm/costs")
        expectError(delete, 405, "method_not_allowed")
        #expect(delete.error?["message"]?.string?.hasSuffix("use POST") == true, "\(delete)")
    }

    @Test func createAnswers201WithSessionCreatedAndLocation() async throws {
        let response = try await app.post("/api/v1/sessions", TinySystem.request(extra: ["session_id": "tiny-1"]))
        #expect(response.status == 201, "\(response)")
        #expect(response.headers["location"] == "/api/v1/sessions/tiny-1")
        let body = response.json
        #expect(body.type == "session_created")
        #expect(body["session_id"]?.string == "tiny-1")
        #expect(body["rows"]?.int == TinySystem.rows)
        #expect(body["nnz"]?.int == TinySystem.nnz)
        #expect(body["tolerance"]?.double == 1e-12)
        #expect(body["method"]?.string?.isEmpty == false)
        expectError(try await app.post("/api/v1/sessions", TinySystem.request(extra: ["session_id": "tiny-1"])),
                    409, "duplicate_session", field: "session_id")
    }

    @Test func statusAndSessionReadsAgree() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        for path in ["/api/v1/sessions/\(id)", "/api/v1/status/\(id)"] {
            let response = try await app.get(path)
            #expect(response.status == 200)
            #expect(response.json.type == "session_status")
            #expect(response.json["session_id"]?.string == id)
            #expect(response.json["phase"]?.string == "converged")
            #expect(response.json["rows"]?.int == TinySystem.rows)
        }
        expectError(try await app.get("/api/v1/sessions/no-such-session"), 404, "session_not_found", field: "session_id")
        expectError(try await app.get("/api/v1/sessions/_bad"), 422, "invalid_argument", field: "session_id")
    }

    @Test func solutionWholeAndByIndices() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let expected = TinySystem.solution()
        let whole = try await app.get("/api/v1/sessions/\(id)/solution")
        #expect(whole.status == 200)
        #expect(whole.json.type == "solution")
        #expect(agrees(whole.json["x"]?.doubles ?? [], expected))
        let part = try await app.get("/api/v1/sessions/\(id)/solution?indices=3,0")
        #expect(part.json["indices"]?.ints == [3, 0])
        #expect(agrees(part.json["values"]?.doubles ?? [], [expected[3], expected[0]]))
        #expect(part.json["x"] == nil)
    }

    @Test(arguments: [("0,4", "indices[1]"), ("1,x", "indices[1]"), ("-1", "indices[0]"), ("3, 9", "indices[1]")])
    func badIndicesAre422NamingTheEntry(indices: String, field: String) async throws {
        let id = try await app.createSession()
        expectError(try await app.get("/api/v1/sessions/\(id)/solution?indices=\(indices)"), 422, "index_out_of_range",
                    field: field)
    }

    @Test func deleteThenTheSessionIsGone() async throws {
        let id = try await app.createSession()
        let deleted = try await app.delete("/api/v1/sessions/\(id)")
        #expect(deleted.status == 200)
        #expect(deleted.json.type == "session_deleted")
        #expect(deleted.json["session_id"]?.string == id)
        expectError(try await app.get("/api/v1/status/\(id)"), 404, "session_not_found", field: "session_id")
        expectError(try await app.get("/api/v1/sessions/\(id)/solution"), 404, "session_not_found", field: "session_id")
        expectError(try await app.delete("/api/v1/sessions/\(id)"), 404, "session_not_found", field: "session_id")
        #expect(app.registry.count == 0)
    }

    @Test func costUpdateIsAckedThenReflectedInTheSolution() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let update: [String: Any] = ["session_id": id, "delta_costs": ["indices": [0, 3], "values": [1.0, -0.5]],
                                     "source_node": "node-abc123"]
        let ack = try await app.post("/api/v1/swarm/costs", update)
        #expect(ack.status == 202, "\(ack)")
        #expect(ack.json.type == "ack")
        #expect(ack.json["session_id"]?.string == id)
        #expect(ack.json["source_node"]?.string == "node-abc123")
        let seq = try #require(ack.json.seq)
        // Updates and events share the session's sequence: the second update is later, not necessarily next.
        let second = try #require(try await app.post("/api/v1/swarm/costs", update).json.seq)
        #expect(second > seq)

        let status = try await app.converged(id, applied: second)
        #expect(status.lastAppliedSeq == second)
        #expect(status.updatesApplied == 2)
        let x = try await app.get("/api/v1/sessions/\(id)/solution").json["x"]?.doubles ?? []
        let b = TinySystem.b
        #expect(agrees(x, TinySystem.solution([b[0] + 2, b[1], b[2], b[3] - 1])), "\(x)")
        #expect(!agrees(x, TinySystem.solution()))
    }

    @Test func costUpdateErrorsNameTheField() async throws {
        let id = try await app.createSession()
        expectError(try await app.post("/api/v1/swarm/costs", ["session_id": id, "delta_costs": ["indices": [100], "values": [1]]]),
                    422, "index_out_of_range", field: "delta_costs.indices[0]")
        expectError(try await app.post("/api/v1/swarm/costs", ["session_id": "missing", "delta_costs": ["indices": [0], "values": [1]]]),
                    404, "session_not_found", field: "session_id")
    }

    @Test func invalidJSONAndMissingBody() async throws {
        expectError(try await app.request("POST", "/api/v1/sessions", body: Array("{not json".utf8)), 400, "invalid_json")
        expectError(try await app.request("POST", "/api/v1/sessions"), 400, "missing_field", field: "body")
        expectError(try await app.request("POST", "/api/v1/swarm/costs"), 400, "missing_field", field: "body")
        expectError(try await app.post("/api/v1/sessions", ["matrix": TinySystem.matrixJSON]), 400, "missing_field",
                    field: "vector")
        expectError(try await app.post("/api/v1/sessions", TinySystem.request(vector: [1, 2])), 422, "dimension_mismatch",
                    field: "vector")
    }

    @Test func verifyEndpoint() async throws {
        let id = try await app.createSession()
        try await app.converged(id)
        let response = try await app.post("/api/v1/verify", ["session_id": id, "probe_count": 3])
        #expect(response.status == 200, "\(response)")
        #expect(response.json.type == "verification_result")
        #expect(response.json["session_id"]?.string == id)
        #expect(response.json["verified"]?.bool == true)
        #expect(response.json["residual_components"]?.arrayElements?.count == 3)
        expectError(try await app.post("/api/v1/verify", ["session_id": id, "probe_count": 101]), 422, "invalid_argument",
                    field: "probe_count")
    }

    @Test func listSessions() async throws {
        let first = try await app.createSession()
        let second = try await app.createSession()
        let response = try await app.get("/api/v1/sessions")
        #expect(response.status == 200)
        #expect(response.json["count"]?.int == 2)
        let ids = response.json["sessions"]?.arrayElements?.compactMap { $0["session_id"]?.string }
        #expect(ids == [first, second])
        #expect(response.json["remote"] == nil)
    }

    @Test func serviceStatus() async throws {
        _ = try await app.createSession()
        let response = try await app.get("/api/v1/status")
        #expect(response.status == 200)
        let body = response.json
        #expect(body.type == "service_status")
        #expect(body["node_id"]?.string == TestApp.nodeID)
        #expect(body["sessions"]?.int == 1)
        #expect(body["mode"]?.string == "embedded")
        #expect(body["draining"]?.bool == false)
        #expect(body["cluster_store"] == nil)
        let nodes = body["nodes"]?.arrayElements ?? []
        #expect(nodes.count == 1)
        #expect(nodes.first?["node_id"]?.string == TestApp.nodeID)
        #expect(nodes.first?["healthy"]?.bool == true)
        #expect(nodes.first?["self"]?.bool == true)
    }
}
