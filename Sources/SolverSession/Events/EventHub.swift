import Foundation
import Synchronization

/// A session's sequence counter, retained events and subscribers, behind one lock.
///
/// Every accepted update and every event takes its `seq` here, so one counter orders both. Events are offered to
/// subscribers while the lock is held: that keeps replay-then-live delivery gap-free and in order for a subscriber
/// that joins while events are being published (sinks never block, so holding the lock is short). The wake-ups the
/// offers leave (`DeliveryBatch`) mostly run after the lock is released, once per publication; a transport thread with
/// `DeliveryBatch.flushThreshold` connections to write is woken during the offers.
public final class EventHub: Sendable {
    public let sessionID: SessionID
    public let limits: SubscriberLimits
    /// Events kept for resumption (`since_seq`, `Last-Event-ID`): at most `retention` events and, beyond the newest
    /// one, at most `retentionBytes` (estimated by `SessionEvent.estimatedBytes`). The byte bound keeps an idle
    /// session's footprint small: 512 frames with 64-entry `x_partial` would hold about 650 KB per session.
    ///
    /// `iteration_update` frames are kept apart, only the newest `retainedFrames` of them: frames coalesce anyway
    /// (a slow subscriber gets the newest), so a resume replays every other event after its seq plus the recent
    /// frames, and only evicting a non-frame event makes a resume point too old.
    public let retention: Int
    public let retentionBytes: Int
    public static let retainedFrames = 8

    private struct State {
        var nextSubscription: UInt64 = 1
        /// Retained events in seq order from `retainedHead` (the prefix before it is evicted, compacted lazily).
        var retained: [SessionEvent] = []
        var retainedHead = 0
        var retainedBytes = 0
        /// Estimated bytes of the evicted prefix (still in `retained` until compacted).
        var evictedBytes = 0
        /// The newest frames, oldest first.
        var frames: [SessionEvent] = []
        /// In subscription order, which is id order (ids only grow, so a new one is appended): publications offer
        /// in this order and update each subscription in place, with no sort, hashing or copy per subscriber.
        var subscriptions: [Subscription] = []

        /// Where subscription `id` is (binary search: the array is sorted by id).
        func index(of id: SubscriptionID) -> Int? {
            var low = 0, high = subscriptions.count
            while low < high {
                let mid = (low + high) / 2
                if subscriptions[mid].id.rawValue < id.rawValue { low = mid + 1 } else { high = mid }
            }
            return low < subscriptions.count && subscriptions[low].id == id ? low : nil
        }
        var closed = false
        /// Highest seq of an event evicted from retention (0 when none was).
        var evictedThrough: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The next sequence number, outside the lock: the service thread takes an update's seq on every submit, and must
    /// never wait for a publish (which encodes and offers under the lock, possibly on a background-priority worker
    /// that the kernel preempts there — acks then stalled behind it for over 100 ms). Events take theirs under the
    /// lock, so they still reach subscribers in seq order.
    private let seqCounter: Atomic<UInt64>

    /// Where delivery stages are recorded (frames held for a subscriber; encoding and transport by the sinks).
    public let stages: LatencyStages?

    public init(sessionID: SessionID, limits: SubscriberLimits = SubscriberLimits(), retention: Int = 512,
                retentionBytes: Int = 32 * 1024, firstSeq: UInt64 = 1, stages: LatencyStages? = nil) {
        self.sessionID = sessionID
        self.stages = stages
        self.limits = limits
        self.retention = max(1, retention)
        self.retentionBytes = retentionBytes
        self.seqCounter = Atomic(max(1, firstSeq))
    }

    /// Wall-clock seconds since 1970, the timestamp of events.
    public static func now() -> Double { Date().timeIntervalSince1970 }

    /// Takes the next sequence number (for an accepted update).
    public func takeSeq() -> UInt64 {
        seqCounter.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// The sequence number the next update or event will take.
    public var nextSeq: UInt64 { seqCounter.load(ordering: .relaxed) }

    public var subscriberCount: Int { state.withLock { $0.subscriptions.count } }

    /// Estimated bytes of the events held: retained ones (with the evicted prefix not compacted yet), the recent
    /// frames, and what waits for blocked subscribers.
    public var memoryBytes: Int {
        state.withLock { s in
            s.retainedBytes + s.evictedBytes + s.frames.reduce(0) { $0 + $1.estimatedBytes }
                + s.subscriptions.reduce(0) { total, sub in
                    sub.pendingEvents.reduce(total + (sub.pendingFrame?.estimatedBytes ?? 0)) { $0 + $1.estimatedBytes }
                }
        }
    }

    /// Publishes one event: stamps it, retains it, and offers it to every subscriber. `customise` may rewrite the
    /// body per subscriber (watched indices); it runs under the lock and must be cheap.
    @discardableResult
    public func publish(_ body: SessionEventBody,
                        customise: ((SessionEventBody, [Int]) -> SessionEventBody)? = nil) -> UInt64 {
        // The last event's wake-ups wait until every subscription it ends has ended (below), so a client that reads
        // `session_closed` finds nothing left to unsubscribe.
        var closing = false
        if case .sessionClosed = body { closing = true }
        let batch = DeliveryBatch(flushesEarly: !closing)
        var ended: [(any SessionEventSink, SubscriptionID, String)] = []
        let seq: UInt64 = state.withLock { s in
            guard !s.closed else { return 0 }
            let seq = seqCounter.wrappingAdd(1, ordering: .relaxed).oldValue
            // One value, and with it one encoding cache, for every subscriber without watched indices: the bytes
            // are made at the first offer and shared by the rest.
            let event = SessionEvent(sessionID: sessionID, seq: seq, timestamp: Self.now(), body: body)
            // The retained copy gets its own (empty) cache: encoded bytes live only while being fanned out.
            var retained = event
            retained.encodingCache = EventEncodingCache()
            retain(retained, in: &s)
            if closing { s.closed = true }
            var i = 0
            while i < s.subscriptions.count {
                let outcome: Subscription.Outcome
                if let watch = s.subscriptions[i].watchIndices, let customise {
                    let personal = SessionEvent(sessionID: sessionID, seq: seq, timestamp: event.timestamp,
                                                body: customise(body, watch))
                    outcome = s.subscriptions[i].offer(personal, now: event.timestamp, limits: limits, batch: batch)
                } else {
                    outcome = s.subscriptions[i].offer(event, now: event.timestamp, limits: limits, batch: batch)
                }
                if case .dropped(let why) = outcome {
                    let sub = s.subscriptions.remove(at: i)
                    ended.append((sub.sink, sub.id, why))
                } else {
                    i += 1
                }
            }
            if s.closed {
                for sub in s.subscriptions { ended.append((sub.sink, sub.id, "session_closed")) }
                s.subscriptions.removeAll()
            }
            return seq
        }
        // Ended before the wake-ups: what a subscriber reads next must not find its subscription still in place.
        for (sink, id, why) in ended {
            if why == "session_closed" {
                sink.subscriptionEnded(id, reason: "session_closed", message: "the session ended")
            } else {
                sink.subscriptionEnded(id, reason: "slow_consumer", message: why)
            }
        }
        batch.run()
        return seq
    }

    private func retain(_ event: SessionEvent, in s: inout State) {
        if case .iterationUpdate = event.body {
            if s.frames.count >= Self.retainedFrames { s.frames.removeFirst() }
            s.frames.append(event)
            return
        }
        s.retained.append(event)
        s.retainedBytes += event.estimatedBytes
        while s.retained.count - s.retainedHead > 1,
              s.retained.count - s.retainedHead > retention || s.retainedBytes > retentionBytes {
            let oldest = s.retained[s.retainedHead]
            s.evictedThrough = oldest.seq
            s.retainedBytes -= oldest.estimatedBytes
            s.evictedBytes += oldest.estimatedBytes
            s.retainedHead += 1
        }
        if s.retainedHead >= 32, s.retainedHead * 2 >= s.retained.count {
            s.retained.removeFirst(s.retainedHead)
            s.retainedHead = 0
            s.evictedBytes = 0
        }
    }

    /// Retained events and frames, merged in seq order.
    private func retainedInOrder(_ s: State) -> [SessionEvent] {
        var merged: [SessionEvent] = []
        merged.reserveCapacity(s.retained.count - s.retainedHead + s.frames.count)
        var e = s.retainedHead, f = 0
        while e < s.retained.count || f < s.frames.count {
            if f == s.frames.count || (e < s.retained.count && s.retained[e].seq < s.frames[f].seq) {
                merged.append(s.retained[e])
                e += 1
            } else {
                merged.append(s.frames[f])
                f += 1
            }
        }
        return merged
    }

    public enum SubscribeError: Error, Equatable {
        /// The session has ended.
        case closed
        /// Events after `since` are no longer retained; the oldest retained seq is given.
        case gap(oldestRetained: UInt64)
    }

    /// Adds a subscriber. With `since`, first replays the retained events with a larger seq (in order, none twice),
    /// then continues live; throws `.gap` when events after `since` were already dropped from retention.
    public func subscribe(_ sink: any SessionEventSink, since: UInt64? = nil, watchIndices: [Int]? = nil) throws -> SubscriptionID {
        let batch = DeliveryBatch()
        defer { batch.run() }
        return try state.withLock { s in
            guard !s.closed else { throw SubscribeError.closed }
            let id = SubscriptionID(rawValue: s.nextSubscription)
            s.nextSubscription += 1
            var sub = Subscription(id: id, sink: sink, watchIndices: watchIndices.map { Array($0.prefix(limits.maxWatchedIndices)) },
                                   stages: stages)
            if let since {
                if s.evictedThrough > since {
                    throw SubscribeError.gap(oldestRetained: s.evictedThrough + 1)
                }
                let events = retainedInOrder(s)
                let now = Self.now()
                for event in events where event.seq > since {
                    sub.pendingEvents.append(event)
                }
                _ = sub.flush(now: now, limits: limits, batch: batch)
            }
            s.subscriptions.append(sub)
            return id
        }
    }

    /// Throws what `subscribe(since:)` would for this resume point, without subscribing (to answer before a stream
    /// starts). `since == nil` always succeeds on an open session.
    public func checkResumable(since: UInt64?) throws {
        try state.withLock { s in
            guard !s.closed else { throw SubscribeError.closed }
            if let since, s.evictedThrough > since { throw SubscribeError.gap(oldestRetained: s.evictedThrough + 1) }
        }
    }

    /// Removes a subscriber; returns false when it was not subscribed.
    @discardableResult
    public func unsubscribe(_ id: SubscriptionID) -> Bool {
        state.withLock { s in
            guard let i = s.index(of: id) else { return false }
            s.subscriptions.remove(at: i)
            return true
        }
    }

    /// Called by a sink whose buffer drained: sends what waited.
    public func resume(_ id: SubscriptionID) {
        let batch = DeliveryBatch()
        var dropped: (any SessionEventSink, String)?
        state.withLock { s in
            guard let i = s.index(of: id) else { return }
            if case .dropped(let why) = s.subscriptions[i].flush(now: Self.now(), limits: limits, batch: batch) {
                dropped = (s.subscriptions.remove(at: i).sink, why)
            }
        }
        batch.run()
        if let (sink, why) = dropped { sink.subscriptionEnded(id, reason: "slow_consumer", message: why) }
    }

    /// Events waiting for a blocked subscriber (the pending frame counts as one); nil when not subscribed.
    func pendingCount(_ id: SubscriptionID) -> Int? {
        state.withLock { s in
            s.index(of: id).map { i in
                s.subscriptions[i].pendingEvents.count + (s.subscriptions[i].pendingFrame == nil ? 0 : 1)
            }
        }
    }

    /// Retained events after `since` (for polling readers).
    public func events(after since: UInt64) -> [SessionEvent] {
        state.withLock { s in retainedInOrder(s).filter { $0.seq > since } }
    }
}
