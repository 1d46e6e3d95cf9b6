import Foundation
import Synchronization
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

@Suite struct SessionTests {
    let registry = SessionRegistry()

    func makeSession(side: Int = 10, shift: Double = 0.5, method: MethodKind = .hybrid, _ adjust: (inout SessionOptions) -> Void = { _ in }) throws -> Session {
        var options = SessionOptions()
        options.method = method
        options.tolerance = 1e-10
        adjust(&options)
        let a = MatrixGenerators.laplacian2D(side: side, shift: shift)
        return try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
    }

    @Test func convergesToTheDenseSolutionAndSignals() throws {
        let session = try makeSession()
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink, since: 0)
        #expect(sink.wait { _ in !sink.convergedSignals().isEmpty })
        let a = MatrixGenerators.laplacian2D(side: 10, shift: 0.5)
        let reference = try #require(DenseReference.solve(a, MatrixGenerators.randomVector(a.rows)))
        let read = try session.readSolution()
        #expect(DenseReference.maxDifference(read.values, reference) < 1e-8)
        #expect(read.phase == .converged)
        let types = sink.types()
        #expect(types.contains("iteration_update"))
        #expect(types.contains("verification_result"))
        // Events arrive in strictly increasing seq order.
        let seqs = sink.events.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
    }

    @Test func updatesFromManyThreadsApplyExactlyOnceInOrder() throws {
        let session = try makeSession(side: 8)
        let threads = 8, perThread = 50
        let seqs = Mutex<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for k in 0..<perThread {
                let seq = try! session.submit(CostUpdate(deltaIndices: [(t * perThread + k) % 64], deltaValues: [0.001]))
                seqs.withLock { $0.append(seq) }
            }
        }
        let all = seqs.withLock { $0 }
        #expect(Set(all).count == threads * perThread)
        #expect(eventually { session.status.updatesApplied == threads * perThread && session.status.phase == .converged })
        let status = session.status
        #expect(status.lastAppliedSeq == all.max())
        // b reflects each update once: Σ b changed by exactly threads·perThread·0.001.
        let snapshot = session.snapshot()
        let original = MatrixGenerators.randomVector(64)
        let added = zip(snapshot.b, original).reduce(0.0) { $0 + ($1.0 - $1.1) }
        #expect(abs(added - Double(threads * perThread) * 0.001) < 1e-9)
    }

    @Test func convergedSessionBurnsNoSlices() throws {
        let session = try makeSession()
        #expect(eventually { session.status.phase == .converged })
        Thread.sleep(forTimeInterval: 0.05)
        let before = registry.scheduler.slicesRun
        Thread.sleep(forTimeInterval: 0.3)
        #expect(registry.scheduler.slicesRun == before)
        #expect(registry.scheduler.readyCount == 0)
        _ = try session.submit(CostUpdate(deltaIndices: [3], deltaValues: [1]))
        #expect(eventually { session.status.updatesApplied == 1 && session.status.phase == .converged })
        #expect(registry.scheduler.slicesRun > before)
    }

    @Test func localUpdateReconvergesWithPushAndReportsIt() throws {
        // A strongly shifted Laplacian: the correction decays within a few grid steps of the changed rows, so push
        // is predicted (and is) cheaper than a solve with the session's factor at this size (n = 40,000).
        let session = try makeSession(side: 200, shift: 2)
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        #expect(eventually { session.status.phase == .converged })
        let seq = try session.submit(CostUpdate(deltaIndices: [170, 20_400], deltaValues: [0.5, -0.25]))
        #expect(sink.wait { events in
            events.contains { if case .convergenceSignal(let c) = $0.body { c.lastAppliedSeq == seq && c.converged } else { false } }
        })
        let frame = sink.events.compactMap { e -> IterationUpdate? in
            if case .iterationUpdate(let u) = e.body, u.lastAppliedSeq == seq { u } else { nil }
        }.first
        #expect(frame?.mode == "local_push")
        let signal = sink.convergedSignals().last
        #expect(signal?.reconvergenceMode == "local_push")
        #expect(signal.map { $0.relativeResidual <= 1e-10 } == true)
    }

    @Test func oldValueMismatchIsReportedAndNotApplied() throws {
        let session = try makeSession()
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        let bad = CostUpdate(deltaIndices: [1], deltaValues: [5],
                             matrixUpdates: [.init(row: 0, col: 1, oldValue: 7, newValue: 2)])
        let seq = try session.submit(bad)
        #expect(sink.wait { events in events.contains { if case .updateRejected(let r) = $0.body { r.updateSeq == seq } else { false } } })
        let rejected = sink.events.compactMap { if case .updateRejected(let r) = $0.body { r } else { nil } }.first
        #expect(rejected?.error.code == .oldValueMismatch)
        #expect(rejected?.error.field == "matrix_updates[0].old_value")
        let snapshot = session.snapshot()
        #expect(snapshot.b[1] == MatrixGenerators.randomVector(100)[1])  // the delta in the same update was not applied
        #expect(snapshot.matrix[0, 1] == -1)
    }

    @Test func invalidUpdatesAreRefusedAtSubmission() throws {
        let session = try makeSession()
        #expect(throws: SolverError.self) { try session.submit(CostUpdate(deltaIndices: [100, 205], deltaValues: [0.01, -0.003])) }
        #expect(throws: SolverError.self) { try session.submit(CostUpdate(deltaIndices: [1], deltaValues: [])) }
        #expect(throws: SolverError.self) { try session.submit(CostUpdate()) }
        do {
            _ = try session.submit(CostUpdate(deltaIndices: [100], deltaValues: [0.01]))
        } catch let e as SolverError {
            #expect(e.field == "delta_costs.indices[0]")
            #expect(e.code == .indexOutOfRange)
        }
    }

    @Test func corruptionIsDetectedByVerificationAndCorrected() throws {
        let session = try makeSession { $0.verificationInterval = 5 }
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        #expect(eventually { session.status.phase == .converged })
        // Corrupt x behind the maintained residual's back, then ask for a verification of that row.
        session.queue.sync { session.solver.system.corruptSolution(row: 42, to: 100) }
        let result = try session.verify(indices: [41, 42, 43])
        #expect(result.driftDetected)
        #expect(result.correctionApplied)
        #expect(!result.verified)
        #expect(sink.wait { events in events.contains { if case .correctionApplied(let c) = $0.body { c.trigger == "drift" } else { false } } })
        #expect(eventually { session.status.phase == .converged })
        let a = MatrixGenerators.laplacian2D(side: 10, shift: 0.5)
        let reference = try #require(DenseReference.solve(a, MatrixGenerators.randomVector(a.rows)))
        #expect(DenseReference.maxDifference(try session.readSolution().values, reference) < 1e-8)
    }

    @Test func corruptedResidualIsDetectedByPeriodicProbes() throws {
        // Push keeps r by recurrence (a Jacobi step would recompute it and erase the corruption before a probe).
        let session = try makeSession(side: 6, method: .push) { $0.verificationInterval = 1; $0.probeCount = 36; $0.maxIterations = 100_000 }
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        #expect(eventually { session.status.phase == .converged })
        session.queue.sync { session.solver.system.corruptMaintainedResidual(row: 5, to: 1e3) }
        _ = try session.submit(CostUpdate(deltaIndices: [0], deltaValues: [1e-3]))
        #expect(sink.wait { events in events.contains { if case .verificationResult(let v) = $0.body { v.driftDetected } else { false } } })
        #expect(eventually { session.status.phase == .converged && session.status.updatesApplied == 1 })
    }

    @Test func snapshotRoundTrip() throws {
        let session = try makeSession { $0.flowNexus = try! FlowNexusOptions(costAggregation: "sum") }
        #expect(eventually { session.status.phase == .converged })
        _ = try session.submit(CostUpdate(deltaIndices: [2], deltaValues: [0.5], matrixUpdates: [.init(row: 3, col: 77, newValue: 0.01)]))
        let snapshot = session.snapshot()
        let blob = snapshot.encode()
        let decoded = try SessionSnapshot.decode(blob)
        #expect(decoded == snapshot)
        #expect(decoded.matrix[3, 77] == 0.01)
        // Restored elsewhere: same id, seq continues, converges to the same solution.
        let other = SessionRegistry()
        let restored = try other.restore(decoded)
        #expect(restored.id == session.id)
        #expect(restored.hub.nextSeq >= snapshot.nextSeq)
        #expect(eventually { restored.status.phase == .converged && session.status.phase == .converged })
        #expect(DenseReference.maxDifference(try restored.readSolution().values, try session.readSolution().values) < 1e-8)
        // Corrupt blobs are refused, never trapped on.
        for cut in [0, 3, 10, blob.count / 2, blob.count - 1] {
            #expect(throws: SolverError.self) { try SessionSnapshot.decode(Array(blob.prefix(cut))) }
        }
        var flipped = blob
        flipped[0] = 0
        #expect(throws: SolverError.self) { try SessionSnapshot.decode(flipped) }
    }

    @Test func hybridMovesFromAFailedCholeskyToLDLTAtOnce() throws {
        // Symmetric, positive diagonal, off-diagonals all negative, yet indefinite (shift −0.3): the hybrid plan
        // starts with Cholesky, which finds it not positive definite; the session moves to LDLᵀ without factoring
        // Cholesky again.
        let session = try makeSession(side: 12, shift: -0.3)
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink, since: 0)
        #expect(eventually { session.status.phase == .converged })
        #expect(session.status.method == "ldlt")
        let corrections = sink.events.compactMap { e -> CorrectionApplied? in
            if case .correctionApplied(let c) = e.body { c } else { nil }
        }
        #expect(corrections.map(\.action) == ["method_changed"], "\(corrections)")
        #expect(corrections.first?.detail.contains("not positive definite") == true)
        let a = MatrixGenerators.laplacian2D(side: 12, shift: -0.3)
        let reference = try #require(DenseReference.solve(a, MatrixGenerators.randomVector(a.rows)))
        #expect(DenseReference.maxDifference(try session.readSolution().values, reference) < 1e-8)
    }

    @Test func factorSessionRestoresFromASnapshotToTheSameSolution() throws {
        // Indefinite: the session runs LDLᵀ; a symmetric change of A goes through the factor. The snapshot keeps the
        // matrix, not the factor, which the restored session builds again.
        let a = MatrixGenerators.laplacian2D(side: 12, shift: -0.3)
        var options = SessionOptions()
        options.method = .ldlt
        options.tolerance = 1e-10
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
        #expect(eventually { session.status.phase == .converged })
        _ = try session.submit(CostUpdate(deltaIndices: [5], deltaValues: [1], matrixUpdates: [
            .init(row: 7, col: 8, newValue: -0.5), .init(row: 8, col: 7, newValue: -0.5),
        ]))
        #expect(eventually { session.status.phase == .converged && session.status.updatesApplied == 1 })
        // Through the factor: a Woodbury correction, or a new factorisation when the cost model (fed by measured
        // solve times, which a loaded machine inflates) finds it cheaper.
        #expect(["low_rank_update", "refactor"].contains(session.status.reconvergenceMode))
        let restored = try SessionRegistry().restore(try SessionSnapshot.decode(session.snapshot().encode()))
        #expect(eventually { restored.status.phase == .converged })
        #expect(restored.status.method == "ldlt")
        #expect(DenseReference.maxDifference(try restored.readSolution().values, try session.readSolution().values) < 1e-8)
    }

    @Test func ownerAndSharesSurviveASnapshot() throws {
        let a = MatrixGenerators.laplacian2D(side: 4, shift: 0.5)
        var spec = SessionSpec(matrix: a, rightHandSide: [Double](repeating: 1, count: a.rows), owner: "alice")
        spec.sharedWith = ["bob", "carol"]
        let session = try registry.create(spec)
        #expect(session.mayBeUsed(by: "alice") && session.mayBeUsed(by: "bob") && !session.mayBeUsed(by: "mallory"))
        let restored = try SessionRegistry().restore(try SessionSnapshot.decode(session.snapshot().encode()))
        #expect(restored.owner == "alice" && restored.sharedWith == ["bob", "carol"] && !restored.mayBeUsed(by: "mallory"))
    }

    @Test func duplicateAndMalformedIdsAreRejected() throws {
        let a = MatrixGenerators.planExample()
        let id = try SessionID(validating: "uuid-session-123")
        _ = try registry.create(SessionSpec(id: id, matrix: a, rightHandSide: [1, 2, 3]))
        #expect(throws: SolverError.self) { try registry.create(SessionSpec(id: id, matrix: a, rightHandSide: [1, 2, 3])) }
        #expect(throws: SolverError.self) { try SessionID(validating: "../etc") }
        #expect(throws: SolverError.self) { try SessionID(validating: "") }
    }

    @Test func planExampleSolvesToTheStatedSolution() throws {
        let session = try registry.create(SessionSpec(matrix: MatrixGenerators.planExample(), rightHandSide: [1, 2, 3]))
        #expect(eventually { session.status.phase == .converged })
        let x = try session.readSolution().values
        #expect(DenseReference.maxDifference(x, [2.5, 4, 3.5]) < 1e-7)
    }

    @Test func expiryClosesIdleAndOverlongSessions() throws {
        var limits = SessionLimits()
        limits.idleTimeout = 0.2
        limits.maxDuration = 100
        let registry = SessionRegistry(limits: limits)
        let session = try registry.create(SessionSpec(matrix: MatrixGenerators.planExample(), rightHandSide: [1, 2, 3]))
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        #expect(eventually { registry.count == 0 })
        #expect(sink.wait { events in events.contains { if case .sessionClosed(let c) = $0.body { c.reason == "idle_timeout" } else { false } } })
        #expect(throws: SolverError.self) { try session.submit(CostUpdate(deltaIndices: [0], deltaValues: [1])) }
    }

    @Test func sessionLimitIsEnforced() throws {
        var limits = SessionLimits()
        limits.maxSessions = 2
        let registry = SessionRegistry(limits: limits)
        for _ in 0..<2 { _ = try registry.create(SessionSpec(matrix: MatrixGenerators.planExample(), rightHandSide: [1, 2, 3])) }
        #expect(throws: SolverError.self) {
            try registry.create(SessionSpec(matrix: MatrixGenerators.planExample(), rightHandSide: [1, 2, 3]))
        }
    }
}
