import Foundation
import Testing
import SolverCore
@testable import SolverSession
@testable import SolverWire

/// `cost_report` in and out (docs/design.md §7.1), the ack's echo, and the swarm members of events.
@Suite struct CostReportWireTests {
    let id = try! SessionID(validating: "s")

    @Test func decodesThePlansReportOverBothTransports() throws {
        let text = #"""
            {"type":"cost_report","session_id":"s","node_id":"node-7","timestamp":1758310011605,
             "local_costs":{"indices":[100,205],"values":[0.01,-0.003]},"computation_confidence":0.8,
             "network_latency":2.5,"propagation_depth":2}
            """#
        guard case (.costUpdate(let ws), _) = try ClientMessage.decode(text, limits: Fixtures.limits) else {
            Issue.record("not decoded as an update")
            return
        }
        let http = try CostUpdateRequest.decodeUpdateOrReport(try JSONReader.parse(Array(text.utf8)))
        for request in [ws, http] {
            let report = try #require(request.update.report)
            #expect(report == CostReport(nodeID: "node-7", indices: [100, 205], values: [0.01, -0.003], confidence: 0.8, networkLatencyMs: 2.5))
            #expect(request.update.sourceNode == "node-7" && request.update.propagationDepth == 2)
            #expect(request.update.timestamp == "1758310011605" && request.update.deltaIndices.isEmpty)
        }
        // Without `type`, /swarm/costs still reads a cost_update (docs/design.md §9.2).
        let plain = try CostUpdateRequest.decodeUpdateOrReport(try JSONReader.parse(Array(#"{"session_id":"s","delta_costs":{"indices":[1],"values":[2]}}"#.utf8)))
        #expect(plain.update.report == nil && plain.update.deltaValues == [2])
        #expect(plain.sourcedAt("here").update.sourceNode == "here")
        #expect(http.sourcedAt("here").update.sourceNode == "node-7")
    }

    @Test(arguments: [
        (#"{"type":"cost_report","session_id":"s","local_costs":{"indices":[1],"values":[1]}}"#, SolverError.Code.missingField, "node_id"),
        (#"{"type":"cost_report","session_id":"s","node_id":"n"}"#, .missingField, "local_costs"),
        (#"{"type":"cost_report","session_id":"s","node_id":"n","local_costs":{"indices":[1]}}"#, .missingField, "local_costs.values"),
        (#"{"type":"cost_report","session_id":"s","node_id":"n","local_costs":[1]}"#, .invalidType, "local_costs"),
        (#"{"type":"cost_report","session_id":"s","node_id":"n","local_costs":{"indices":[1],"values":[1]},"computation_confidence":"high"}"#, .invalidType, "computation_confidence"),
        (#"{"type":"cost_report","session_id":"s","node_id":7,"local_costs":{"indices":[1],"values":[1]}}"#, .invalidType, "node_id"),
    ])
    func malformedReportsNameTheirField(_ text: String, _ code: SolverError.Code, _ field: String) {
        do {
            _ = try ClientMessage.decode(text, limits: Fixtures.limits)
            Issue.record("decoded")
        } catch {
            #expect(error.error.code == code && error.error.field == field, "\(error.error)")
        }
    }

    @Test func ackEchoesSourceAndDepthAndEventsCarryTheSwarm() throws {
        let ack = try JSONReader.parse(WireEncoder.ack(sessionID: id, seq: 9, ref: "r", echoing: CostUpdate(sourceNode: "n1", propagationDepth: 0)))
        #expect(ack == .object(["type": .string("ack"), "ref": .string("r"), "session_id": .string("s"), "seq": .number(9),
                                "source_node": .string("n1"), "propagation_depth": .number(0)]))
        let aggregated = CostsAggregated(updateSeq: 3, nodeID: "n2", sourceNode: "n1", propagationDepth: 1, aggregation: "sum",
                                         indices: [4], values: [1.5], contributingNodes: [2])
        guard case .object(let o) = try JSONReader.parse(WireEncoder.event(SessionEvent(sessionID: id, seq: 4, timestamp: 0, body: .costsAggregated(aggregated)))) else {
            throw SolverError(.invalidType, "not an object")
        }
        #expect(o["type"] == .string("costs_aggregated") && o["update_seq"] == .number(3) && o["aggregation"] == .string("sum"))
        #expect(o["node_id"] == .string("n2") && o["source_node"] == .string("n1") && o["contributing_nodes"] == .numbers([2]))
        var result = WireEncoderTests.verification
        result.swarm = SwarmVerification(askedNodes: 4, participatingNodes: 4, threshold: 3, consensusReached: true, agreementLevel: 0.75,
                                         agreeingNodes: ["a", "b", "d"], dissentingNodes: ["c"], silentNodes: [])
        guard case .object(let v) = try JSONReader.parse(WireEncoder.verificationResult(result, sessionID: id, seq: nil)),
              case .object(let swarm)? = v["swarm"] else { throw SolverError(.invalidType, "no swarm member") }
        #expect(swarm["dissenting_nodes"] == .array([.string("c")]) && swarm["threshold"] == .number(3))
        #expect(swarm["consensus_reached"] == .bool(true) && swarm["silent_nodes"] == .array([]))
    }
}
