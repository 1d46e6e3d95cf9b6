import Foundation
@testable import SolverSession
import Synchronization
import Testing

/// Records the batches it is woken with.
private final class RecordingWaker: DeliveryWaker {
    let batches = Mutex<[[UInt64]]>([])
    func wake(_ ids: [UInt64]) { batches.withLock { $0.append(ids) } }
}

/// A sink over a transport that must be woken: it records the event and leaves its wake-up to the batch.
private final class BatchingSink: SessionEventSink {
    let id: UInt64
    let waker: RecordingWaker
    let events = Mutex<[SessionEvent]>([])
    init(id: UInt64, waker: RecordingWaker) {
        self.id = id
        self.waker = waker
    }
    func offer(_ event: SessionEvent) -> Bool {
        Issue.record("a publication offers with a batch")
        return false
    }
    func offer(_ event: SessionEvent, batch: DeliveryBatch) -> Bool {
        events.withLock { $0.append(event) }
        batch.add(id, to: waker)
        return true
    }
    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {}
}

@Suite struct DeliveryTests {
    private func frame(applied: UInt64, iteration: Int = 1) -> SessionEventBody {
        .iterationUpdate(IterationUpdate(
            iteration: iteration, residualNorm: 1, relativeResidual: 1, convergenceRate: 1, verified: true,
            verificationScore: 1, xPartial: SparseEntries(indices: [0, 1], values: [2, 3]), swarmConsensus: .singleNode,
            performance: .init(iterationTimeMs: 0, memoryUsageMB: 0, flops: 0), lastAppliedSeq: applied,
            method: "cg", mode: "global"))
    }

    private let signal = SessionEventBody.correctionApplied(CorrectionApplied(trigger: "t", action: "a", detail: ""))

    /// A frame the rate cap holds is delivered ahead of the next event; the time it was held is the coalesced stage.
    @Test func aHeldFrameIsRecordedAsCoalesced() throws {
        let stages = LatencyStages()
        let hub = EventHub(sessionID: SessionID.generate(), stages: stages)
        let sink = CollectingSink()
        _ = try hub.subscribe(sink)
        hub.publish(frame(applied: 1, iteration: 1))  // reflects a new update: delivered at once
        hub.publish(frame(applied: 1, iteration: 2))  // same update, within the rate cap: held
        #expect(sink.events.count == 1 && stages.summary(.coalesced).count == 0)
        hub.publish(signal)  // delivered behind the held frame
        #expect(sink.types() == ["iteration_update", "iteration_update", "correction_applied"])
        #expect(stages.summary(.coalesced).count == 1)
    }

    @Test func aPublicationWakesItsTransportOnceWithEverySubscriber() throws {
        let hub = EventHub(sessionID: SessionID.generate())
        let waker = RecordingWaker()
        let sinks = (1...5).map { BatchingSink(id: UInt64($0), waker: waker) }
        for sink in sinks { _ = try hub.subscribe(sink) }
        hub.publish(frame(applied: 1))
        hub.publish(signal)
        #expect(waker.batches.withLock { $0 } == [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
        let types = sinks.map { $0.events.withLock { $0.map(\.body.typeName) } }
        #expect(types.allSatisfy { $0 == ["iteration_update", "correction_applied"] })
    }

    @Test func subscribersWithoutWatchedIndicesShareOneEncodingWatchersGetTheirOwn() throws {
        let hub = EventHub(sessionID: SessionID.generate())
        let plain = [CollectingSink(), CollectingSink()]
        let watcher = CollectingSink()
        for sink in plain { _ = try hub.subscribe(sink) }
        _ = try hub.subscribe(watcher, watchIndices: [1])
        hub.publish(frame(applied: 1)) { body, watch in
            guard case .iterationUpdate(var update) = body else { return body }
            update.xPartial = SparseEntries(indices: watch, values: watch.map { _ in 9 })
            return .iterationUpdate(update)
        }
        let (a, b, w) = (plain[0].events[0], plain[1].events[0], watcher.events[0])
        #expect(a.encodingCache === b.encodingCache)
        #expect(w.encodingCache !== a.encodingCache)
        guard case .iterationUpdate(let personal) = w.body, case .iterationUpdate(let shared) = a.body else {
            Issue.record("frames expected")
            return
        }
        #expect(personal.xPartial == SparseEntries(indices: [1], values: [9]))
        #expect(shared.xPartial == SparseEntries(indices: [0, 1], values: [2, 3]))
        #expect(w.seq == a.seq)
    }

    @Test func aRateCappedFrameGoesAheadOfTheNextEvent() throws {
        var limits = SubscriberLimits()
        limits.minimumFrameInterval = 60  // every frame below is within the cap, however slow the machine
        let hub = EventHub(sessionID: SessionID.generate(), limits: limits)
        let sink = CollectingSink()
        _ = try hub.subscribe(sink)
        hub.publish(frame(applied: 1, iteration: 1))
        hub.publish(frame(applied: 1, iteration: 2))  // within the rate cap, no newer update: held
        hub.publish(frame(applied: 1, iteration: 3))  // replaces the held one
        #expect(sink.events.count == 1)
        hub.publish(signal)
        let iterations = sink.events.compactMap { event -> Int? in
            if case .iterationUpdate(let u) = event.body { return u.iteration } else { return nil }
        }
        #expect(iterations == [1, 3])
        #expect(sink.types() == ["iteration_update", "iteration_update", "correction_applied"])
        hub.publish(frame(applied: 2, iteration: 4))  // reflects a newer update: never held back
        #expect(sink.events.count == 4)
    }

    @Test func aBlockedSubscriberGetsTheNewestFrameThenTheEventsInOrder() throws {
        let hub = EventHub(sessionID: SessionID.generate())
        let sink = CollectingSink(blocked: true)
        let id = try hub.subscribe(sink)
        hub.publish(frame(applied: 1, iteration: 1))
        hub.publish(signal)
        hub.publish(frame(applied: 2, iteration: 2))
        hub.publish(signal)
        #expect(sink.events.isEmpty)
        sink.state.withLock { $0.blocked = false }
        hub.resume(id)
        #expect(sink.types() == ["iteration_update", "correction_applied", "correction_applied"])
        #expect(sink.events.map(\.seq) == [3, 2, 4])
    }
}
