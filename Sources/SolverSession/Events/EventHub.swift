import Foundation
import Synchronization

/// A session's sequence counter, retained events and subscribers, behind one lock.
///
/// Every accepted update and every event takes its `seq` here, so one counter orders both. Events are offered to
/// subscribers while the lock is held: that keeps replay-then-live delivery gap-free and in order for a subscriber
/// that joins while events are being published (sinks never block, so holding the lock is short).
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
        var subscriptions: [SubscriptionID: Subscription] = [:]
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

    public init(sessionID: SessionID, limits: SubscriberLimits = SubscriberLimits(), retention: Int = 512,
                retentionBytes: Int = 32 * 1024, firstSeq: UInt64 = 1) {
        self.sessionID = sessionID
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
                + s.subscriptions.values.reduce(0) { total, sub in
                    sub.pendingEvents.reduce(total + (sub.pendingFrame?.estimatedBytes ?? 0)) { $0 + $1.estimatedBytes }
                }
        }
    }

    /// Publishes one event: stamps it, retains it, and offers it to every subscriber. `customise` may rewrite the
    /// body per subscriber (watched indices); it runs under the lock and must be cheap.
    @discardableResult
    public func publish(_ body: SessionEventBody,
                        customise: ((SessionEventBody, [Int]) -> SessionEventBody)? = nil) -> UInt64 {
        var ended: [(any SessionEventSink, SubscriptionID, String)] = []
        let seq: UInt64 = state.withLock { s in
            guard !s.closed else { return 0 }
            let seq = seqCounter.wrappingAdd(1, ordering: .relaxed).oldValue
            let event = SessionEvent(sessionID: sessionID, seq: seq, timestamp: Self.now(), body: body)
            // The retained copy gets its own (empty) cache: encoded bytes live only while being fanned out.
            var retained = event
            retained.encodingCache = EventEncodingCache()
            retain(retained, in: &s)
            if case .sessionClosed = body { s.closed = true }
            for id in s.subscriptions.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                guard var sub = s.subscriptions[id] else { continue }
                var personal = event
                if let watch = sub.watchIndices, let customise {
                    personal.body = customise(body, watch)
                    personal.encodingCache = EventEncodingCache()
                }
                switch sub.offer(personal, now: event.timestamp, limits: limits) {
                case .ok: s.subscriptions[id] = sub
                case .dropped(let why):
                    s.subscriptions[id] = nil
                    ended.append((sub.sink, id, why))
                }
            }
            if s.closed {
                for (id, sub) in s.subscriptions { ended.append((sub.sink, id, "session_closed")) }
                s.subscriptions.removeAll()
            }
            return seq
        }
        for (sink, id, why) in ended {
            if why == "session_closed" {
                sink.subscriptionEnded(id, reason: "session_closed", message: "the session ended")
            } else {
                sink.subscriptionEnded(id, reason: "slow_consumer", message: why)
            }
        }
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
        try state.withLock { s in
            guard !s.closed else { throw SubscribeError.closed }
            let id = SubscriptionID(rawValue: s.nextSubscription)
            s.nextSubscription += 1
            var sub = Subscription(id: id, sink: sink, watchIndices: watchIndices.map { Array($0.prefix(limits.maxWatchedIndices)) })
            if let since {
                if s.evictedThrough > since {
                    throw SubscribeError.gap(oldestRetained: s.evictedThrough + 1)
                }
                let events = retainedInOrder(s)
                let now = Self.now()
                for event in events where event.seq > since {
                    sub.pendingEvents.append(event)
                }
                _ = sub.flush(now: now, limits: limits)
            }
            s.subscriptions[id] = sub
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
        state.withLock { $0.subscriptions.removeValue(forKey: id) != nil }
    }

    /// Called by a sink whose buffer drained: sends what waited.
    public func resume(_ id: SubscriptionID) {
        var dropped: (any SessionEventSink, String)?
        state.withLock { s in
            guard var sub = s.subscriptions[id] else { return }
            switch sub.flush(now: Self.now(), limits: limits) {
            case .ok: s.subscriptions[id] = sub
            case .dropped(let why):
                s.subscriptions[id] = nil
                dropped = (sub.sink, why)
            }
        }
        if let (sink, why) = dropped { sink.subscriptionEnded(id, reason: "slow_consumer", message: why) }
    }

    /// Events waiting for a blocked subscriber (the pending frame counts as one); nil when not subscribed.
    func pendingCount(_ id: SubscriptionID) -> Int? {
        state.withLock { s in s.subscriptions[id].map { $0.pendingEvents.count + ($0.pendingFrame == nil ? 0 : 1) } }
    }

    /// Retained events after `since` (for polling readers).
    public func events(after since: UInt64) -> [SessionEvent] {
        state.withLock { s in retainedInOrder(s).filter { $0.seq > since } }
    }
}
