/// Whatever must be told, once per publication, which of its outputs have something queued: a transport's I/O thread.
public protocol DeliveryWaker: AnyObject, Sendable {
    /// Announces every id queued for during one batch, in the order the subscribers were offered the event.
    func wake(_ ids: [UInt64])
}

/// The wake-ups of one publication, held back until its event was offered to every subscriber.
///
/// Why: woken at the first of 100 offers, a transport's I/O thread writes that one connection and polls again while
/// the publisher queues the next, and when both share a core it preempts the publisher at every wake-up: one poll
/// round and two context switches per subscriber (110 µs each, 11 ms for 100, in `make bench-server`'s fan-out).
/// Woken once with all 100 queued, it writes them in one pass.
///
/// Confined to the publishing thread. Whoever makes a batch must `run` it (without holding a lock the woken side
/// needs): an output added here is scheduled and will not announce itself again until it has been woken.
public final class DeliveryBatch {
    private var wakers: [any DeliveryWaker] = []
    private var ids: [[UInt64]] = []

    public init() {}

    /// Holds back the wake-up of output `id` of `waker` until `run`.
    public func add(_ id: UInt64, to waker: any DeliveryWaker) {
        // Nearly always one waker (one transport per process): a linear search over one or two entries.
        if let index = wakers.firstIndex(where: { $0 === waker }) {
            ids[index].append(id)
        } else {
            wakers.append(waker)
            ids.append([id])
        }
    }

    /// Wakes each waker once with its ids, and empties the batch. Returns whether anyone was woken.
    @discardableResult
    public func run() -> Bool {
        let (wakers, ids) = (self.wakers, self.ids)
        self.wakers = []
        self.ids = []
        for (waker, batch) in zip(wakers, ids) { waker.wake(batch) }
        return !wakers.isEmpty
    }
}
