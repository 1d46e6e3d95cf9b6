import Dispatch
import Foundation
import Synchronization
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

/// A journal whose appends wait until the test completes them (in any order), on its own queue — like a store
/// that stalls. It never completes on the caller's thread.
final class HeldJournal: SessionJournal {
    private let held = Mutex<[UInt64: @Sendable (JournalOutcome) -> Void]>([:])
    private let queue = DispatchQueue(label: "test.held-journal")

    func open(_ session: Session) throws {}
    func close(_ id: SessionID, reason: SessionCloseReason, session: Session?) {}
    func append(sessionID: SessionID, seq: UInt64, update: CostUpdate, completion: @escaping @Sendable (JournalOutcome) -> Void) {
        held.withLock { $0[seq] = completion }
    }

    var waiting: [UInt64] { held.withLock { $0.keys.sorted() } }

    /// Completes the append of `seq` with `outcome` (asynchronously, as a store reply would).
    func complete(_ seq: UInt64, _ outcome: JournalOutcome = .durable) {
        guard let completion = held.withLock({ $0.removeValue(forKey: seq) }) else { return }
        queue.sync { completion(outcome) }
    }
}

/// Records acknowledgements (and errors) with the session's applied seq at that moment.
final class AckLog: Sendable {
    let entries = Mutex<[(Result<UInt64, SolverError>, appliedAtAck: UInt64)]>([])
    func record(_ session: Session) -> @Sendable (Result<UInt64, SolverError>) -> Void {
        { result in self.entries.withLock { $0.append((result, session.status.lastAppliedSeq)) } }
    }
    var seqs: [UInt64] { entries.withLock { $0.compactMap { try? $0.0.get() } } }
    var errors: [SolverError] { entries.withLock { $0.compactMap { if case .failure(let e) = $0.0 { e } else { nil } } } }
}

@Suite struct DurableAckTests {
    let journal = HeldJournal()
    var registry: SessionRegistry { SessionRegistry(journal: journal) }

    func makeSession(_ registry: SessionRegistry) throws -> Session {
        let a = MatrixGenerators.laplacian2D(side: 8, shift: 0.5)
        var options = SessionOptions()
        options.tolerance = 1e-10
        return try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
    }

    @Test func submitNeverWaitsForTheJournalAndAcksInSeqOrder() throws {
        let session = try makeSession(registry)
        #expect(eventually { session.status.phase == .converged })
        let log = AckLog()
        let started = DispatchTime.now().uptimeNanoseconds
        for k in 0..<3 { session.submit(CostUpdate(deltaIndices: [k], deltaValues: [0.5]), completion: log.record(session)) }
        // Three appends are held by the "store": submit returned at once, nothing is acknowledged or applied.
        #expect(DispatchTime.now().uptimeNanoseconds - started < 50_000_000)
        let seqs = journal.waiting
        #expect(seqs.count == 3 && log.seqs.isEmpty)
        #expect(session.status.pendingUpdates == 3 && session.status.updatesApplied == 0)
        // The store answers out of order: acks still go out in seq order, and only once their turn comes.
        journal.complete(seqs[2])
        journal.complete(seqs[1])
        #expect(log.seqs.isEmpty)
        journal.complete(seqs[0])
        #expect(log.seqs == seqs)
        #expect(eventually { session.status.updatesApplied == 3 && session.status.lastAppliedSeq == seqs[2] })
        // Each ack went out before its update was applied.
        for (result, appliedAtAck) in log.entries.withLock({ $0 }) { #expect(appliedAtAck < (try result.get())) }
    }

    @Test func refusedAppendsAreNotAppliedButUnconfirmedOnesAre() throws {
        let session = try makeSession(registry)
        let log = AckLog()
        for k in 0..<3 { session.submit(CostUpdate(deltaIndices: [k], deltaValues: [1]), completion: log.record(session)) }
        let seqs = journal.waiting
        let refused = SolverError(.updateNotDurable, "store away")
        let unconfirmed = SolverError(.updateNotDurable, "0 of 1 replicas")
        journal.complete(seqs[0], .refused(refused))
        journal.complete(seqs[1], .unconfirmed(unconfirmed))
        journal.complete(seqs[2])
        #expect(log.seqs == [seqs[2]])
        #expect(log.errors.map(\.message) == ["store away", "0 of 1 replicas"])
        #expect(eventually { session.status.lastAppliedSeq == seqs[2] })
        #expect(session.status.updatesApplied == 2 && session.status.pendingUpdates == 0)
        let b = session.snapshot().b, original = MatrixGenerators.randomVector(64)
        #expect(b[0] == original[0] && abs(b[1] - original[1] - 1) < 1e-12 && abs(b[2] - original[2] - 1) < 1e-12)
    }

    @Test func movedSessionsRefuseAsRetryableEndedOnesAsGone() throws {
        let registry = self.registry
        let moved = try makeSession(registry), ended = try makeSession(registry)
        registry.close(moved.id, reason: .migrated, message: "lease lost")
        registry.close(ended.id, reason: .closedByClient, message: "bye")
        #expect { try moved.submit(CostUpdate(deltaIndices: [0], deltaValues: [1])) } throws: {
            ($0 as? SolverError)?.code == .updateNotDurable
        }
        #expect { try ended.submit(CostUpdate(deltaIndices: [0], deltaValues: [1])) } throws: {
            ($0 as? SolverError)?.code == .sessionClosed
        }
        #expect(journal.waiting.isEmpty)
    }

    @Test func aMarkedThreadIsCaughtWaitingButNotQueueing() throws {
        let session = try makeSession(SessionRegistry())
        let found = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            NonBlockingThread.markCurrentThread { what in found.withLock { $0.append(what) } }
            // Queueing work and reading published state are fine on such a thread.
            session.submit(CostUpdate(deltaIndices: [1], deltaValues: [1])) { _ in }
            _ = session.status
            session.readSolution(indices: [0]) { _ in }
            #expect(found.withLock { $0 }.isEmpty)
            // Waiting for the session's slice is not.
            _ = try? session.readSolution(indices: [0])
            done.signal()
        }
        done.wait()
        #expect(found.withLock { $0 }.count == 1)
        #expect(found.withLock { $0 }.first?.contains("solution read") == true)
    }
}
