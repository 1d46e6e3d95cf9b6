import SolverSession
import Testing

@testable import SolverServer

/// How event sends reach the service thread: held back by a publication's batch, announced once, drained in passes.
/// Exercised without sockets (the waker has no context, so nothing is cancelled).
@Suite struct FanOutWakeupTests {
    private func connection(_ id: UInt64, _ waker: TransportWaker, maxQueuedBytes: Int = 1 << 20)
        -> WebSocketConnection
    {
        WebSocketConnection(
            id: id, remoteAddress: "test", path: "/ws/solver", subprotocol: nil, maxQueuedBytes: maxQueuedBytes,
            waker: waker)
    }

    @Test func eventSendsAreAnnouncedWhenTheBatchRunsInOfferOrder() {
        let waker = TransportWaker()
        let connections = (1...3).map { connection($0, waker) }
        let batch = DeliveryBatch()
        for c in connections.reversed() {
            #expect(c.send(eventText: Array("{}".utf8), whileQueuedBelow: 1024, batch: batch) == .enqueued)
        }
        // A second event to an already scheduled connection owes no second announcement.
        #expect(connections[0].send(eventText: Array("{}".utf8), whileQueuedBelow: 1024, batch: batch) == .enqueued)
        #expect(waker.drain(continuing: false).ready.isEmpty)
        #expect(batch.run())
        #expect(waker.drain(continuing: false).ready == [3, 2, 1])
        #expect(!batch.run())
    }

    @Test func eventSendsStopAtTheEventBoundWhileRepliesStillFit() {
        let waker = TransportWaker()
        let c = connection(1, waker, maxQueuedBytes: 100)
        #expect(c.send(eventText: [UInt8](repeating: 0x20, count: 30), whileQueuedBelow: 30, batch: nil) == .enqueued)
        #expect(c.send(eventText: [0x20], whileQueuedBelow: 30, batch: nil) == .overflow(queuedBytes: 30))
        #expect(c.send(utf8Text: [UInt8](repeating: 0x20, count: 50)) == .enqueued)
        c.close(code: .goingAway)
        #expect(c.send(eventText: [0x20], whileQueuedBelow: 1 << 20, batch: nil) == .closed)
    }

    @Test func aContinuingDrainTakesLaterAnnouncementsWithoutAnotherCancel() {
        let waker = TransportWaker()
        waker.wake(1)
        #expect(waker.drain(continuing: true).ready == [1])
        waker.wake([2, 3])  // announced while the pass writes: the next pass takes them
        #expect(waker.drain(continuing: true).ready == [2, 3])
        #expect(waker.drain(continuing: true).ready.isEmpty)
        waker.wake(4)
        #expect(waker.drain(continuing: false).ready == [4])
    }
}
