import Foundation
import Synchronization
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

/// Swarm cost reports (docs/design.md §7.1) and distributed verification votes (§7.3).
@Suite struct CostAggregatorTests {
    func report(_ node: String, _ indices: [Int], _ values: [Double], confidence: Double = 1) -> CostReport {
        CostReport(nodeID: node, indices: indices, values: values, confidence: confidence)
    }

    @Test func weightedAverageWeighsByConfidenceAndKeepsEachNodesLatest() {
        var a = CostAggregator()
        #expect(a.ingest(report("a", [3], [10], confidence: 1), as: .weightedAverage) == [.init(index: 3, value: 10, nodes: 1)])
        #expect(a.ingest(report("b", [3], [20], confidence: 0.25), as: .weightedAverage) == [.init(index: 3, value: 12, nodes: 2)])
        // A node's new report replaces its old one instead of adding a third voice.
        #expect(a.ingest(report("a", [3], [30], confidence: 1), as: .weightedAverage) == [.init(index: 3, value: 28, nodes: 2)])
    }

    @Test func sumLatestMeanMaxMin() {
        let modes: [(CostAggregation, Double)] = [(.sum, 6), (.latest, 1), (.mean, 2), (.max, 3), (.min, 1)]
        for (mode, expected) in modes {
            var a = CostAggregator()
            _ = a.ingest(report("a", [0], [2]), as: mode)
            _ = a.ingest(report("b", [0], [3]), as: mode)
            #expect(a.ingest(report("c", [0], [1]), as: mode).first?.value == expected, "\(mode)")
        }
    }

    @Test func repeatedIndexCountsItsLastValueAndEntriesAreBounded() {
        var a = CostAggregator()
        #expect(a.ingest(report("a", [1, 2, 1], [5, 6, 7]), as: .latest) == [.init(index: 1, value: 7, nodes: 1), .init(index: 2, value: 6, nodes: 1)])
        for k in 0..<(CostAggregator.maxNodesPerEntry + 5) { _ = a.ingest(report("n\(k)", [9], [Double(k)]), as: .sum) }
        #expect(a.entries[9]?.count == CostAggregator.maxNodesPerEntry)
        #expect(a.entries[9]?.contains { $0.node == "n0" } == false)
    }

    @Test func reportsApplyThroughTheSessionAndSurviveASnapshot() throws {
        var options = SessionOptions()
        options.tolerance = 1e-10
        options.flowNexus = try FlowNexusOptions(costAggregation: "weighted_average")
        let a = MatrixGenerators.laplacian2D(side: 8, shift: 0.5)
        let registry = SessionRegistry()
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: [Double](repeating: 1, count: a.rows), options: options))
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink, since: 0)
        _ = try session.submit(CostUpdate(sourceNode: "edge-1", propagationDepth: 2, report: report("a", [5], [4], confidence: 1)))
        let seq = try session.submit(CostUpdate(report: report("b", [5], [8], confidence: 0.5)))
        #expect(sink.wait { events in events.contains { if case .costsAggregated(let c) = $0.body { c.updateSeq == seq } else { false } } })
        let aggregated = sink.events.compactMap { if case .costsAggregated(let c) = $0.body { c } else { nil } }
        #expect(aggregated.first?.sourceNode == "edge-1" && aggregated.first?.propagationDepth == 2)
        #expect(aggregated.last?.indices == [5] && abs(aggregated.last!.values[0] - 16.0 / 3) < 1e-12)
        #expect(aggregated.last?.contributingNodes == [2] && aggregated.last?.aggregation == "weighted_average")
        #expect(eventually { session.status.phase == .converged && session.status.lastAppliedSeq == seq })
        var b = [Double](repeating: 1, count: a.rows)
        b[5] = 16.0 / 3
        let reference = try #require(DenseReference.solve(a, b))
        #expect(DenseReference.maxDifference(try session.readSolution().values, reference) < 1e-8)
        // The restored copy keeps every node's report: a's new report is combined with b's old one.
        let restored = try SessionRegistry().restore(try SessionSnapshot.decode(session.snapshot().encode()))
        let sinkB = CollectingSink()
        _ = try restored.hub.subscribe(sinkB)
        _ = try restored.submit(CostUpdate(report: report("a", [5], [2], confidence: 1)))
        #expect(sinkB.wait { events in events.contains { if case .costsAggregated(let c) = $0.body { abs(c.values[0] - 4) < 1e-12 } else { false } } })
    }

    @Test func theReportTableIsBoundedAndFullReportsAreRejectedWhole() throws {
        var a = CostAggregator()
        let limit = 3
        _ = a.ingest(report("a", [1, 2], [1, 1]), as: .sum)
        #expect(a.contributionCount == 2)
        #expect(!a.wouldExceed(report("a", [1, 2], [5, 5]), limit: limit))  // a's own entries are replaced
        #expect(!a.wouldExceed(report("b", [1], [5]), limit: limit))
        #expect(a.wouldExceed(report("b", [1, 2], [5, 5]), limit: limit))
        // Through the session: a report that would overflow is rejected as a whole (update_rejected), b unchanged.
        let registry = SessionRegistry()
        // n = 1,600: 64 nodes per entry would allow 102,400 contributions, the session limit is 65,536.
        let m = MatrixGenerators.laplacian2D(side: 40, shift: 0.5)
        let session = try registry.create(SessionSpec(matrix: m, rightHandSide: [Double](repeating: 1, count: m.rows)))
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        let everyEntry = Array(0..<m.rows)
        var seq: UInt64 = 0
        for k in 0..<(CostAggregator.limit(dimension: m.rows) / m.rows + 1) {
            seq = try session.submit(CostUpdate(report: report("n\(k)", everyEntry, everyEntry.map { _ in 2 })))
        }
        #expect(sink.wait { events in events.contains { if case .updateRejected(let r) = $0.body { r.updateSeq == seq && r.error.code == .capacityExceeded } else { false } } })
        #expect(eventually { session.status.updatesApplied == CostAggregator.limit(dimension: m.rows) / m.rows })
    }

    @Test func badReportsAreRefusedNamingTheField() throws {
        let registry = SessionRegistry()
        let a = MatrixGenerators.laplacian2D(side: 4, shift: 0.5)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: [Double](repeating: 1, count: a.rows)))
        let cases: [(CostReport, String)] = [
            (report("a", [0, 1], [1]), "local_costs.values"),
            (report("a", [99], [1]), "local_costs.indices[0]"),
            (report("a", [0], [.nan]), "local_costs.values[0]"),
            (report("a", [0], [1], confidence: 0), "computation_confidence"),
            (report("", [0], [1]), "node_id"),
            (report("a", [], []), "local_costs"),
        ]
        for (bad, field) in cases {
            #expect { try session.submit(CostUpdate(report: bad)) } throws: { ($0 as? SolverError)?.field == field }
        }
    }

    @Test func binaryRecordsCarryTheReportAndOldRecordsStillDecode() throws {
        let update = CostUpdate(sourceNode: "s", propagationDepth: 1,
                                report: CostReport(nodeID: "n", indices: [1, 2], values: [0.5, -1], confidence: 0.7, networkLatencyMs: 3))
        #expect(try CostUpdate.decodeBinary(update.encodeBinary()) == update)
        var v1 = CostUpdate(deltaIndices: [1], deltaValues: [2]).encodeBinary()
        v1[0] = 1
        v1.removeLast()  // a version-1 record ends after the timestamp
        #expect(try CostUpdate.decodeBinary(v1) == CostUpdate(deltaIndices: [1], deltaValues: [2]))
    }
}

@Suite struct SwarmTallyTests {
    let scale = [1e-12, 1e-12]

    @Test func thresholdIsTwoThirdsPlusOne() {
        #expect([1, 2, 3, 4, 5, 6, 7, 10].map(SwarmTally.threshold(nodes:)) == [1, 2, 3, 3, 4, 5, 5, 7])
    }

    @Test func oneWrongNodeOfFourIsOutvotedAndNamed() {
        let good = [0.25, -1.5]
        let tally = SwarmTally(votes: [.init(node: "a", residuals: good), .init(node: "b", residuals: good),
                                       .init(node: "c", residuals: [1.25, -0.5]), .init(node: "d", residuals: good)], scale: scale)
        #expect(tally.consensus == good)
        #expect(tally.summary.consensusReached && tally.summary.threshold == 3 && tally.summary.participatingNodes == 4)
        #expect(tally.summary.agreeingNodes == ["a", "b", "d"] && tally.summary.dissentingNodes == ["c"])
        #expect(tally.summary.agreementLevel == 0.75)
    }

    @Test func withoutTwoThirdsThereIsNoConsensus() {
        let good = [0.25, -1.5]
        // Three nodes tolerate no fault: 2 of 3 is below ⌊2·3/3⌋ + 1 = 3.
        let three = SwarmTally(votes: [.init(node: "a", residuals: good), .init(node: "b", residuals: good),
                                       .init(node: "c", residuals: [9, 9])], scale: scale)
        #expect(three.consensus == nil && !three.summary.consensusReached && three.summary.dissentingNodes == ["c"])
        // Silent nodes count as not agreeing.
        let silent = SwarmTally(votes: [.init(node: "a", residuals: good), .init(node: "b", residuals: nil),
                                        .init(node: "c", residuals: nil), .init(node: "d", residuals: good)], scale: scale)
        #expect(!silent.summary.consensusReached && silent.summary.silentNodes == ["b", "c"] && silent.summary.participatingNodes == 2)
        // NaN matches nothing, not even itself.
        let nan = SwarmTally(votes: [.init(node: "a", residuals: [.nan, 0])], scale: scale)
        #expect(nan.summary.consensusReached && nan.summary.agreeingNodes == ["a"])
    }
}

@Suite struct ProbeTaskTests {
    @Test func evaluatesExactlyAsTheOwnerProbesAndRoundTrips() throws {
        let a = MatrixGenerators.laplacian2D(side: 12, shift: 0.3)
        let system = try LiveSystem(matrix: a, b: MatrixGenerators.randomVector(a.rows), x0: MatrixGenerators.randomVector(a.rows))
        try system.setEntry(row: 3, col: 100, to: 0.125)  // a pending insertion must be part of the task
        let rows = [0, 3, 77, 143]
        let task = try system.probeTask(rows: rows)
        #expect(task.evaluate() == (try system.probe(rows: rows)).exactResiduals)
        #expect(try ProbeTask.decodeBinary(task.encodeBinary()) == task)
        let bytes = task.encodeBinary()
        for cut in [0, 1, 9, bytes.count / 2, bytes.count - 1] {
            #expect(throws: SolverError.self) { try ProbeTask.decodeBinary(Array(bytes.prefix(cut))) }
        }
        #expect(throws: SolverError.self) { try system.probeTask(rows: [144]) }
    }
}

/// Votes in-process: the voters evaluate the task as cluster nodes do, one of them wrongly.
final class InProcessSwarm: SwarmVerifier {
    let nodes: [String]
    let faulty: String?
    init(nodes: [String], faulty: String?) {
        self.nodes = nodes
        self.faulty = faulty
    }
    func collectVotes(_ task: ProbeTask, session: SessionID, completion: @escaping @Sendable ([SwarmVote]) -> Void) {
        let votes = nodes.map { node in
            SwarmVote(node: node, residuals: task.evaluate().map { node == faulty ? $0 + 1 : $0 })
        }
        DispatchQueue.global().async { completion(votes) }
    }
}

@Suite struct SwarmVerificationTests {
    /// A converged swarm-enabled session in a registry whose four voters include `faulty`.
    func convergedSwarmSession(side: Int, faulty: String?) throws -> (SessionRegistry, Session) {
        let registry = SessionRegistry(swarm: InProcessSwarm(nodes: ["a", "b", "c", "d"], faulty: faulty))
        var options = SessionOptions()
        options.swarmEnabled = true
        options.tolerance = 1e-10
        let a = MatrixGenerators.laplacian2D(side: side, shift: 0.5)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
        #expect(eventually { session.status.phase == .converged })
        return (registry, session)
    }

    @Test func swarmEnabledSessionsPutProbesToTheVoteAndReportConsensus() throws {
        let (registry, session) = try convergedSwarmSession(side: 10, faulty: "c")
        let result = try #require(waitForVerify(session))
        let swarm = try #require(result.swarm)
        #expect(result.trigger == "swarm" && result.verified && !result.driftDetected)
        #expect(swarm.askedNodes == 4 && swarm.participatingNodes == 4 && swarm.consensusReached)
        #expect(swarm.dissentingNodes == ["c"] && swarm.agreementLevel == 0.75)
        // Later frames carry the round's consensus.
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        _ = try session.submit(CostUpdate(deltaIndices: [7], deltaValues: [0.5]))
        #expect(sink.wait { events in events.contains { if case .iterationUpdate(let u) = $0.body {
            u.swarmConsensus == SwarmConsensus(participatingNodes: 4, agreementLevel: 0.75) } else { false } } })
        // A session without swarm_enabled verifies alone.
        let a = MatrixGenerators.laplacian2D(side: 10, shift: 0.5)
        let alone = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows)))
        #expect(try #require(waitForVerify(alone)).swarm == nil)
    }

    @Test func driftFoundLocallyIsCorrectedOnceAndTheSwarmConfirmsTheCorrectedState() throws {
        let (_, session) = try convergedSwarmSession(side: 6, faulty: nil)
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        session.queue.sync { session.solver.system.corruptMaintainedResidual(row: 5, to: 1e3) }
        let result = try #require(waitForVerify(session, indices: [5]))
        #expect(result.swarm?.consensusReached == true && result.swarm?.agreementLevel == 1)
        #expect(result.verified && !result.driftDetected && !result.correctionApplied)
        #expect(eventually { session.status.phase == .converged })
        let corrections = sink.events.filter { if case .correctionApplied = $0.body { true } else { false } }
        #expect(corrections.count == 1)
    }

    func waitForVerify(_ session: Session, indices: [Int]? = nil) -> VerificationResult? {
        let box = Mutex<VerificationResult?>(nil)
        session.verify(indices: indices) { if case .success(let r) = $0 { box.withLock { $0 = r } } }
        _ = eventually(timeout: 10) { box.withLock { $0 != nil } }
        return box.withLock { $0 }
    }
}
