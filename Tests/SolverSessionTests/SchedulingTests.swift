import Foundation
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

@Suite struct SchedulingTests {
    /// One huge, slow session must not hold back small sessions: their updates are applied and re-converged while
    /// the big one is still iterating (an ordering check, not a timing one).
    @Test func hugeSessionDoesNotStarveSmallOnes() throws {
        let registry = SessionRegistry(scheduler: SessionScheduler(width: 2))
        var bigOptions = SessionOptions()
        bigOptions.method = .jacobi
        bigOptions.tolerance = 1e-14
        bigOptions.maxIterations = 10_000_000
        let big = MatrixGenerators.laplacian2D(side: 300, shift: 0.001)
        let bigSession = try registry.create(SessionSpec(matrix: big, rightHandSide: [Double](repeating: 1, count: big.rows), options: bigOptions))
        defer { registry.close(bigSession.id) }

        let small = MatrixGenerators.laplacian2D(side: 6, shift: 1)
        let sessions = try (0..<100).map { k in
            try registry.create(SessionSpec(matrix: small, rightHandSide: MatrixGenerators.randomVector(small.rows, seed: UInt64(k))))
        }
        #expect(eventually { sessions.allSatisfy { $0.status.phase == .converged } })
        let seqs = try sessions.map { try $0.submit(CostUpdate(deltaIndices: [3], deltaValues: [1])) }
        #expect(eventually {
            zip(sessions, seqs).allSatisfy { s, seq in s.status.lastAppliedSeq == seq && s.status.phase == .converged }
        })
        #expect(bigSession.status.phase == .solving)
    }

    /// A subscriber that never reads keeps at most one coalesced frame plus a bounded list, then is dropped.
    @Test func stalledSubscriberStaysBoundedAndIsDropped() throws {
        var limits = SessionLimits()
        limits.subscriber.slowConsumerTimeout = 0.3
        limits.subscriber.minimumFrameInterval = 0
        let registry = SessionRegistry(limits: limits)
        var options = SessionOptions()
        options.method = .jacobi
        options.tolerance = 1e-13
        options.verificationInterval = 1_000_000
        let a = MatrixGenerators.laplacian2D(side: 40, shift: 0.01)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
        let stalled = CollectingSink(blocked: true)
        let reader = CollectingSink()
        let stalledID = try session.hub.subscribe(stalled)
        _ = try session.hub.subscribe(reader)
        var maxPending = 0
        #expect(eventually {
            maxPending = max(maxPending, session.hub.pendingCount(stalledID) ?? 0)
            // What a transport sink does while its buffer stays full: retry, which also applies the timeout even
            // when the session has gone quiet.
            session.hub.resume(stalledID)
            return stalled.endReasons.contains("slow_consumer")
        })
        #expect(maxPending <= limits.subscriber.maxPendingEvents + 1)
        #expect(stalled.events.isEmpty)
        // The reading subscriber was served all along.
        #expect(reader.events.count > 5)
        #expect(!reader.endReasons.contains("slow_consumer"))
    }

    @Test func resumeReplaysRetainedEventsWithoutGapsOrDuplicates() throws {
        let registry = SessionRegistry()
        let a = MatrixGenerators.laplacian2D(side: 10, shift: 0.5)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows)))
        let first = CollectingSink()
        _ = try session.hub.subscribe(first, since: 0)
        #expect(first.wait { _ in !first.convergedSignals().isEmpty })
        let all = first.events
        let middle = all[all.count / 2].seq
        let second = CollectingSink()
        _ = try session.hub.subscribe(second, since: middle)
        #expect(second.events.map(\.seq) == all.filter { $0.seq > middle }.map(\.seq))
    }

    @Test func resumeAfterEvictionReportsAGap() throws {
        let hub = EventHub(sessionID: SessionID.generate(), retention: 4)
        for _ in 0..<10 { hub.publish(.correctionApplied(CorrectionApplied(trigger: "t", action: "a", detail: ""))) }
        #expect(throws: EventHub.SubscribeError.gap(oldestRetained: 7)) { try hub.subscribe(CollectingSink(), since: 2) }
        let sink = CollectingSink()
        _ = try hub.subscribe(sink, since: 6)
        #expect(sink.events.map(\.seq) == [7, 8, 9, 10])
    }
}
