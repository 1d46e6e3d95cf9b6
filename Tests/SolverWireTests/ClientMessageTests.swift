import Testing
import SolverCore
import SolverSession
@testable import SolverWire

@Suite struct ClientMessageTests {
    func decode(_ text: String) throws(ClientMessageError) -> (ClientMessage, ref: String?) {
        try ClientMessage.decode(text, limits: Fixtures.limits)
    }

    func expectError(_ text: String, code: SolverError.Code, field: String?, ref: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let (message, _) = try decode(text)
            Issue.record("decoded \(message)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.error.code == code, "\(error.error)", sourceLocation: sourceLocation)
            #expect(error.error.field == field, "\(error.error)", sourceLocation: sourceLocation)
            #expect(error.ref == ref, sourceLocation: sourceLocation)
        }
    }

    @Test func solveRequest() throws {
        let (message, ref) = try decode(Fixtures.consistentSolveRequest)
        guard case .solveRequest(let r) = message else { Issue.record("\(message)"); return }
        #expect(r.spec.matrix.nnz == 7)
        #expect(ref == nil)
    }

    @Test func subscribe() throws {
        let (message, ref) = try decode(#"{"type":"subscribe","id":"c1","session_id":"s-1","since_seq":10,"watch_indices":[0,2]}"#)
        guard case .subscribe(let r) = message else { Issue.record("\(message)"); return }
        #expect(r.sessionID.rawValue == "s-1" && r.sinceSeq == 10 && r.watchIndices == [0, 2])
        #expect(ref == "c1")
        // docs/design.md §9.5: only `type` and `session_id`.
        let (plain, _) = try decode(#"{"type": "subscribe", "session_id": "uuid-session-123"}"#)
        guard case .subscribe(let p) = plain else { Issue.record("\(plain)"); return }
        #expect(p.sinceSeq == nil && p.watchIndices == nil)
    }

    @Test func unsubscribe() throws {
        let (message, ref) = try decode(#"{"type":"unsubscribe","id":7,"session_id":"s-1"}"#)
        guard case .unsubscribe(let r) = message else { Issue.record("\(message)"); return }
        #expect(r.sessionID.rawValue == "s-1")
        #expect(ref == "7")
    }

    @Test func costUpdate() throws {
        let text = """
            {"type":"cost_update","id":1.5,"session_id":"uuid-v4","timestamp":"2025-09-19T19:26:51.605Z",
             "delta_costs":{"indices":[100,205,1337],"values":[0.01,-0.003,0.007]},
             "matrix_updates":[{"row":100,"col":205,"old_value":1.5,"new_value":1.51},{"row":1,"col":2,"new_value":0}],
             "source_node":"node-abc123","propagation_depth":3}
            """
        let (message, ref) = try decode(text)
        guard case .costUpdate(let r) = message else { Issue.record("\(message)"); return }
        #expect(ref == "1.5")
        let u = r.update
        #expect(u.deltaIndices == [100, 205, 1337] && u.deltaValues == [0.01, -0.003, 0.007])
        #expect(u.matrixUpdates == [
            CostUpdate.MatrixEntryUpdate(row: 100, col: 205, oldValue: 1.5, newValue: 1.51),
            CostUpdate.MatrixEntryUpdate(row: 1, col: 2, oldValue: nil, newValue: 0),
        ])
        #expect(u.sourceNode == "node-abc123" && u.propagationDepth == 3 && u.timestamp == "2025-09-19T19:26:51.605Z")
    }

    /// The §9.2 body as first written decodes without `type`; its indices 100 and 205 are then refused by the 3×3
    /// session (docs/design.md §9.2).
    @Test func planCostUpdateBody() throws {
        let r = try CostUpdateRequest.decode(Fixtures.json(Fixtures.planCostUpdate))
        #expect(r.sessionID.rawValue == "uuid-session-123")
        #expect(r.update.deltaIndices == [100, 205] && r.update.sourceNode == "node-abc123")
        #expect { try r.update.validate(dimension: 3) } throws: {
            ($0 as? SolverError)?.field == "delta_costs.indices[0]"
        }
    }

    @Test func verify() throws {
        let (message, _) = try decode(#"{"type":"verify","session_id":"uuid-session-123","probe_count":20}"#)
        guard case .verify(let r) = message else { Issue.record("\(message)"); return }
        #expect(r.probeCount == 20 && r.indices == nil)
        let body = try VerifyRequest.decode(Fixtures.json(#"{"session_id":"s","indices":[3,1]}"#))
        #expect(body.probeCount == nil && body.indices == [3, 1])
    }

    @Test func ping() throws {
        let (message, ref) = try decode(#"{"type":"ping","id":"p"}"#)
        guard case .ping = message else { Issue.record("\(message)"); return }
        #expect(ref == "p")
    }

    @Test(arguments: [
        (#"{"type":"subscribe"}"#, SolverError.Code.missingField, "session_id" as String?),
        (#"{"type":"subscribe","session_id":"s","since_seq":-1}"#, .invalidType, "since_seq"),
        (#"{"type":"subscribe","session_id":"s","watch_indices":[1,-2]}"#, .indexOutOfRange, "watch_indices[1]"),
        (#"{"type":"verify","session_id":"s","probe_count":0}"#, .invalidArgument, "probe_count"),
        (#"{"type":"verify","session_id":"s","probe_count":101}"#, .invalidArgument, "probe_count"),
        (#"{"type":"verify","session_id":"s","indices":[1.5]}"#, .invalidType, "indices[0]"),
        (#"{"type":"cost_update","session_id":"s"}"#, .missingField, "delta_costs"),
        (#"{"type":"cost_update","session_id":"s","delta_costs":{"indices":[1]}}"#, .missingField, "delta_costs.values"),
        (#"{"type":"cost_update","session_id":"s","delta_costs":{"indices":[1,2,3,2.5],"values":[1,1,1,1]}}"#, .invalidType, "delta_costs.indices[3]"),
        (#"{"type":"cost_update","session_id":"s","delta_costs":{"indices":[1],"values":["x"]}}"#, .invalidType, "delta_costs.values[0]"),
        (#"{"type":"cost_update","session_id":"s","matrix_updates":[{"row":1,"col":2}]}"#, .missingField, "matrix_updates[0].new_value"),
        (#"{"type":"cost_update","session_id":"s","matrix_updates":[{"row":1,"col":2,"new_value":1},{"row":"1","col":2,"new_value":1}]}"#, .invalidType, "matrix_updates[1].row"),
        (#"{"type":"cost_update","session_id":"s","matrix_updates":{}}"#, .invalidType, "matrix_updates"),
        (#"{"type":"cost_update","session_id":"s","delta_costs":{"indices":[1],"values":[1]},"propagation_depth":"3"}"#, .invalidType, "propagation_depth"),
        (#"{"type":"cost_update","session_id":"s","delta_costs":{"indices":[1],"values":[1]},"timestamp":[]}"#, .invalidType, "timestamp"),
        (#"{"type":"solve_request","matrix":[[1]]}"#, .missingField, "vector"),
        (#"{"type":"teleport"}"#, .unknownType, "type"),
        (#"{"type":5}"#, .invalidType, "type"),
        (#"{"session_id":"s"}"#, .missingField, "type"),
    ])
    func errorsNameTheirField(_ text: String, _ code: SolverError.Code, _ field: String?) {
        expectError(text, code: code, field: field)
    }

    @Test func errorsCarryTheRefOnceRead() {
        expectError(#"{"id":"r9","type":"verify","session_id":"s","probe_count":0}"#, code: .invalidArgument,
                    field: "probe_count", ref: "r9")
        expectError(#"{"id":42,"type":"nope"}"#, code: .unknownType, field: "type", ref: "42")
        expectError(#"{"id":{},"type":"ping"}"#, code: .invalidType, field: "id", ref: nil)
        expectError(#"{"id":"r1", "type":"ping""#, code: .invalidJSON, field: nil, ref: nil)
        expectError(#"[1,2]"#, code: .invalidType, field: nil)
        expectError(#""ping""#, code: .invalidType, field: nil)
    }

    @Test func unknownTypeListsTheValidOnes() {
        do {
            _ = try decode(#"{"type":"teleport"}"#)
        } catch {
            for name in ClientMessage.typeNames { #expect(error.error.message.contains(name)) }
        }
    }
}
