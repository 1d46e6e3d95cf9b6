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
/// A waker that has `flushThreshold` ids is woken at once, though: the I/O thread then writes the first
/// connections while the publisher still offers to the rest (about 1 µs an offer, so 100 µs for 100 subscribers),
/// and takes the later ones in a further pass of the same wake-up, without another poll.
///
/// Confined to the publishing thread. Whoever makes a batch must `run` it; the wakers it reaches must not need a
/// lock the publisher holds (an early wake-up happens inside `add`). An output added here is scheduled and will not
/// announce itself again until it has been woken.
public final class DeliveryBatch {
    /// Ids held for one waker before it is woken without waiting for `run`.
    public static let flushThreshold = 16

    private var wakers: [any DeliveryWaker] = []
    private var ids: [[UInt64]] = []
    private var wokeEarly = false
    private let flushesEarly: Bool

    /// `flushesEarly: false` holds every wake-up until `run` (a publication whose subscriptions end with it).
    public init(flushesEarly: Bool = true) {
        self.flushesEarly = flushesEarly
    }

    /// Holds back the wake-up of output `id` of `waker` until `run`, or until `flushThreshold` are held for it.
    public func add(_ id: UInt64, to waker: any DeliveryWaker) {
        // One waker per transport service thread: a linear search over one or two entries.
        let index: Int
        if let found = wakers.firstIndex(where: { $0 === waker }) {
            index = found
            ids[index].append(id)
        } else {
            index = wakers.count
            wakers.append(waker)
            ids.append([id])
        }
        if flushesEarly, ids[index].count >= Self.flushThreshold {
            waker.wake(ids[index])
            ids[index].removeAll(keepingCapacity: true)
            wokeEarly = true
        }
    }

    /// Wakes each waker still holding ids once with them, and empties the batch. Returns whether anyone was woken
    /// (here or early).
    @discardableResult
    public func run() -> Bool {
        let (wakers, ids, wokeEarly) = (self.wakers, self.ids, self.wokeEarly)
        self.wakers = []
        self.ids = []
        self.wokeEarly = false
        for (waker, batch) in zip(wakers, ids) where !batch.isEmpty { waker.wake(batch) }
        return wokeEarly || ids.contains { !$0.isEmpty }
    }
}
