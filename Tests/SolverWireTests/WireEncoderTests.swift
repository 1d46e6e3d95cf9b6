import Foundation
import Testing
import SolverCore
@testable import SolverSession
@testable import SolverWire

@Suite struct WireEncoderTests {
    let id = try! SessionID(validating: "uuid-v4")
    /// 2025-09-19T19:26:51.605Z, the example timestamp of docs/design.md §4.1.
    let time = 1_758_310_011.605

    func object(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: JSONValue] {
        #expect(!bytes.contains(0x0A), "one line", sourceLocation: sourceLocation)
        guard case .object(let o) = try JSONReader.parse(bytes) else { throw SolverError(.invalidType, "not an object") }
        return o
    }

    /// Foundation reads the same bytes (interoperability, not just self-consistency).
    func foundation(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func event(_ body: SessionEventBody) -> [UInt8] {
        WireEncoder.event(SessionEvent(sessionID: id, seq: 42, timestamp: time, body: body))
    }

    @Test func iterationUpdate() throws {
        let u = IterationUpdate(
            iteration: 42, residualNorm: 0.001, relativeResidual: 1e-4, convergenceRate: 0.95, verified: true,
            verificationScore: 0.999, xPartial: SparseEntries(indices: [0, 1, 2], values: [1.001, 2.003, 3.007]),
            swarmConsensus: SwarmConsensus(participatingNodes: 5, agreementLevel: 0.98),
            performance: .init(iterationTimeMs: 0.8, memoryUsageMB: 150.2, flops: 1_500_000), lastAppliedSeq: 7,
            method: "cg+jacobi", mode: "global")
        let bytes = event(.iterationUpdate(u))
        let o = try object(bytes)
        #expect(o["type"] == .string("iteration_update"))
        #expect(o["session_id"] == .string("uuid-v4"))
        #expect(o["seq"] == .number(42))
        #expect(o["timestamp"] == .string("2025-09-19T19:26:51.605Z"))
        #expect(o["x_partial"] == .object(["indices": .numbers([0, 1, 2]), "values": .numbers([1.001, 2.003, 3.007])]))
        #expect(o["swarm_consensus"] == .object(["participating_nodes": .number(5), "agreement_level": .number(0.98)]))
        #expect(o["performance"] == .object([
            "iteration_time_ms": .number(0.8), "memory_usage_mb": .number(150.2), "flops": .number(1_500_000),
        ]))
        for key in ["iteration", "residual_norm", "relative_residual", "convergence_rate", "verified",
                    "verification_score", "last_applied_seq", "method", "mode"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        let f = try foundation(bytes)
        #expect((f["x_partial"] as? [String: Any])?["values"] as? [Double] == [1.001, 2.003, 3.007])
        #expect(f["method"] as? String == "cg+jacobi")
    }

    static let verification = VerificationResult(
        probeID: "probe-xyz789", verified: true, probedIndices: [4, 9], residualComponents: [0.001, 0.0008],
        maxError: 0.001, relativeDisagreement: 0.01, estimatedResidualNorm: 0.002, driftDetected: false,
        correctionApplied: false, verificationTimeMs: 0.3, intervalMultiplier: 1, trigger: "request")

    @Test func verificationResult() throws {
        for bytes in [event(.verificationResult(Self.verification)),
                      WireEncoder.verificationResult(Self.verification, sessionID: id, seq: 42)] {
            let o = try object(bytes)
            #expect(o["type"] == .string("verification_result"))
            #expect(o["probe_id"] == .string("probe-xyz789"))
            #expect(o["residual_components"] == .numbers([0.001, 0.0008]))
            #expect(o["seq"] == .number(42))
            for key in ["session_id", "timestamp", "verified", "drift_detected", "correction_applied",
                        "verification_time_ms", "probed_indices", "max_error", "trigger"] {
                #expect(o[key] != nil, "missing \(key)")
            }
        }
        #expect(try object(WireEncoder.verificationResult(Self.verification, sessionID: id, seq: nil))["seq"] == nil)
    }

    @Test func convergenceSignal() throws {
        let s = ConvergenceSignal(
            residualThreshold: 1e-8, consecutiveIterations: 10, residualNorm: 5.2e-9, relativeResidual: 5.2e-10,
            iterationsBelowThreshold: 12, iteration: 99, converged: true, reason: nil, swarmConsensus: 1,
            lastAppliedSeq: 3, reconvergenceMode: "warm")
        let o = try object(event(.convergenceSignal(s)))
        #expect(o["criteria"] == .object([
            "residual_threshold": .number(1e-8), "consecutive_iterations": .number(10), "swarm_agreement": .number(0.95),
        ]))
        #expect(o["current_state"] == .object([
            "residual_norm": .number(5.2e-9), "relative_residual": .number(5.2e-10),
            "iterations_below_threshold": .number(12), "swarm_consensus": .number(1),
        ]))
        #expect(o["converged"] == .bool(true) && o["reason"] == nil)
        #expect(o["last_applied_seq"] == .number(3) && o["reconvergence_mode"] == .string("warm"))
        var stopped = s
        stopped.converged = false
        stopped.reason = "max_iterations"
        #expect(try object(event(.convergenceSignal(stopped)))["reason"] == .string("max_iterations"))
    }

    @Test func smallEvents() throws {
        let c = try object(event(.correctionApplied(CorrectionApplied(trigger: "drift", action: "residual_recomputed", detail: "d"))))
        #expect(c["type"] == .string("correction_applied") && c["action"] == .string("residual_recomputed"))
        let error = SolverError(.oldValueMismatch, "A[1][2] is 3", field: "matrix_updates[0].old_value")
        let r = try object(event(.updateRejected(UpdateRejected(updateSeq: 17, error: error))))
        #expect(r["update_seq"] == .number(17))
        #expect(r["error"] == .object([
            "code": .string("old_value_mismatch"), "message": .string("A[1][2] is 3"),
            "field": .string("matrix_updates[0].old_value"),
        ]))
        let closed = try object(event(.sessionClosed(SessionClosed(reason: "idle_timeout", message: "idle"))))
        #expect(closed["type"] == .string("session_closed") && closed["reason"] == .string("idle_timeout"))
    }

    static let memory = {
        var memory = MemoryBreakdown()
        (memory.matrix, memory.vectors, memory.events) = (600, 300, 124)
        return memory
    }()

    static let status = SessionStatus(
        sessionID: try! SessionID(validating: "uuid-v4"), phase: .converged, rows: 3, nnz: 7, method: "cg+jacobi",
        methodReason: "symmetric", reconvergenceMode: "warm", iteration: 12, solveIterations: 5, residualNorm: 1e-9,
        relativeResidual: 1e-10, tolerance: 1e-8, verified: true, verificationScore: 1, intervalMultiplier: 1,
        lastAppliedSeq: 4, updatesApplied: 4, updatesRejected: 1, pendingUpdates: 0, subscribers: 2,
        memory: memory, totalFlops: 999, createdAt: 0, lastActivity: 1_758_310_011.605, stopReason: nil,
        owner: "alice")

    @Test func replies() throws {
        let created = try object(WireEncoder.sessionCreated(Self.status, ref: "c1", nextSeq: 5))
        #expect(created["type"] == .string("session_created") && created["ref"] == .string("c1"))
        #expect(created["method"] == .string("cg+jacobi") && created["method_reason"] == .string("symmetric"))
        #expect(created["rows"] == .number(3) && created["nnz"] == .number(7) && created["next_seq"] == .number(5))
        #expect(created["protocol_version"] == .number(1))

        let status = try object(WireEncoder.status(Self.status))
        #expect(status["type"] == .string("session_status"))
        #expect(status["created_at"] == .string("1970-01-01T00:00:00.000Z"))
        #expect(status["last_activity"] == .string("2025-09-19T19:26:51.605Z"))
        #expect(status["owner"] == .string("alice") && status["stop_reason"] == nil)
        #expect(status.count == 27, "type + every member but the nil stop_reason")
        #expect(status["memory_bytes"] == .number(1024))
        guard case .object(let memory) = status["memory"] else { Issue.record("no memory object"); return }
        #expect(memory.count == MemoryBreakdown().components.count)
        #expect(memory["matrix"] == .number(600) && memory["live_push"] == .number(0))
        #expect(memory.values.reduce(0) { total, value in
            guard case .number(let bytes) = value else { return .nan }
            return total + bytes
        } == 1024, "the breakdown sums to memory_bytes")

        #expect(try object(WireEncoder.subscribed(sessionID: id, nextSeq: 9, ref: nil)) == [
            "type": .string("subscribed"), "session_id": .string("uuid-v4"), "next_seq": .number(9),
            "protocol_version": .number(Double(WireProtocol.version)),
        ])
        #expect(try object(WireEncoder.unsubscribed(sessionID: id, ref: "u")) == [
            "type": .string("unsubscribed"), "session_id": .string("uuid-v4"), "ref": .string("u"),
        ])
        #expect(String(decoding: WireEncoder.ack(sessionID: id, seq: 3, ref: "7"), as: UTF8.self)
            == #"{"type":"ack","ref":"7","session_id":"uuid-v4","seq":3}"#)
        #expect(String(decoding: WireEncoder.pong(ref: nil), as: UTF8.self) == #"{"type":"pong"}"#)
        #expect(String(decoding: WireEncoder.shutdown(reason: "server stopping"), as: UTF8.self)
            == #"{"type":"shutdown","reason":"server stopping"}"#)
        #expect(try object(WireEncoder.heartbeat(timestamp: time))["timestamp"] == .string("2025-09-19T19:26:51.605Z"))
    }

    @Test func errors() throws {
        let e = SolverError(.dimensionMismatch, "describes 3 columns but \"cols\" = 1000", field: "matrix.data.col_pointers")
        #expect(try object(WireEncoder.error(e, ref: "r")) == [
            "type": .string("error"), "code": .string("dimension_mismatch"), "message": .string(e.message),
            "field": .string("matrix.data.col_pointers"), "ref": .string("r"),
        ])
        let body = try foundation(WireEncoder.errorBody(e))
        let inner = try #require(body["error"] as? [String: Any])
        #expect(inner["code"] as? String == "dimension_mismatch" && inner["message"] as? String == e.message)
        #expect(try object(WireEncoder.errorBody(SolverError(.internal, "x"))) == [
            "error": .object(["code": .string("internal"), "message": .string("x")]),
        ])
    }

    @Test func solution() throws {
        let whole = SolutionRead(indices: nil, values: [2.5, 4, 3.5], lastAppliedSeq: 6, iteration: 30,
                                 residualNorm: 1e-12, relativeResidual: 1e-13, phase: .converged)
        let o = try object(WireEncoder.solution(whole, sessionID: id))
        #expect(o["x"] == .numbers([2.5, 4, 3.5]) && o["seq"] == .number(6) && o["phase"] == .string("converged"))
        #expect(o["indices"] == nil)
        var part = whole
        part.indices = [2]
        part.values = [3.5]
        let p = try foundation(WireEncoder.solution(part, sessionID: id))
        #expect(p["indices"] as? [Int] == [2] && p["values"] as? [Double] == [3.5] && p["x"] == nil)
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"), (951_782_400.999, "2000-02-29T00:00:00.999Z"),
        (-1.5, "1969-12-31T23:59:58.500Z"), (4_102_444_800, "2100-01-01T00:00:00.000Z"),
    ])
    func timestamps(_ seconds: Double, _ text: String) {
        #expect(ISO8601Timestamp.format(seconds) == text)
    }
}
