import Foundation
import Synchronization
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

/// A transport's barrier that records each request and either answers at once or never (a transport that died).
final class RecordingBarrier: DeliveryBarrier {
    let answers: Bool
    let requests = Atomic<Int>(0)
    init(answers: Bool) { self.answers = answers }

    func afterQueuedDeliveries(_ done: @escaping @Sendable () -> Void) {
        requests.add(1, ordering: .relaxed)
        if answers { DispatchQueue.global().async(execute: done) }
    }
}

/// A `CollectingSink` behind a barrier.
final class BarrierSink: SessionEventSink {
    let inner = CollectingSink()
    let barrier: RecordingBarrier
    init(_ barrier: RecordingBarrier) { self.barrier = barrier }

    func offer(_ event: SessionEvent) -> Bool { inner.offer(event) }
    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {
        inner.subscriptionEnded(id, reason: reason, message: message)
    }
    var deliveryBarrier: (any DeliveryBarrier)? { barrier }
}

@Suite struct DeliveryBarrierTests {
    let registry = SessionRegistry()

    func convergedSession() throws -> Session {
        var options = SessionOptions()
        options.tolerance = 1e-10
        let a = MatrixGenerators.laplacian2D(side: 12, shift: 1)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows), options: options))
        #expect(eventually { session.status.phase == .converged })
        return session
    }

    func reconverges(_ sink: BarrierSink, after seq: UInt64) -> Bool {
        sink.inner.wait { events in
            events.contains { if case .convergenceSignal(let c) = $0.body { c.lastAppliedSeq == seq && c.converged } else { false } }
        }
    }

    @Test(arguments: [true, false])
    func firstFrameWaitsForTheBarrierThenTheSessionGoesOn(barrierAnswers: Bool) throws {
        let session = try convergedSession()
        let barrier = RecordingBarrier(answers: barrierAnswers)
        // Two sinks on one transport: one request per update, not one per subscriber.
        let sinks = [BarrierSink(barrier), BarrierSink(barrier)]
        for sink in sinks { _ = try session.hub.subscribe(sink) }
        let seq = try session.submit(CostUpdate(deltaIndices: [5], deltaValues: [0.25]))
        // A barrier that never answers only delays the session (by `maxDeliveryWait`), it never stalls it.
        for sink in sinks { #expect(reconverges(sink, after: seq)) }
        #expect(barrier.requests.load(ordering: .relaxed) == 1)
        let first = sinks[0].inner.events.first { if case .iterationUpdate(let u) = $0.body { u.lastAppliedSeq == seq } else { false } }
        let signal = sinks[0].inner.events.first { if case .convergenceSignal = $0.body { true } else { false } }
        #expect(first != nil && signal != nil && first!.seq < signal!.seq)
        #expect(!session.isWaitingForDelivery)
    }

    @Test func subscribersWithoutBarrierNeverPause() throws {
        let session = try convergedSession()
        let sink = CollectingSink()
        _ = try session.hub.subscribe(sink)
        #expect(!session.hub.afterQueuedDeliveries { Issue.record("no barrier, no callback") })
        let seq = try session.submit(CostUpdate(deltaIndices: [3], deltaValues: [0.5]))
        #expect(sink.wait { events in events.contains { if case .convergenceSignal(let c) = $0.body { c.lastAppliedSeq == seq } else { false } } })
    }
}
