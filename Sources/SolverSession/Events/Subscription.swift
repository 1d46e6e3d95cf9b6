/// One subscriber's delivery state: what it watches, and what waits while its consumer is slow.
///
/// A blocked subscriber keeps at most one `iteration_update` (each newer frame replaces the older one) plus a bounded list of other events; past the
/// bound, or after `slowConsumerTimeout` seconds blocked, it is dropped with reason `slow_consumer`. Memory per
/// subscriber is therefore bounded whatever the client does. Touched only under the `EventHub` lock.
struct Subscription {
    let id: SubscriptionID
    let sink: any SessionEventSink
    let watchIndices: [Int]?
    /// The newest frame not delivered yet (held by the rate cap or for a blocked consumer). Its `x_partial` holds the
    /// entries that changed most over the newest frame interval, with current values; the entries of the frames it
    /// replaced are not carried over, since their values are stale by now (a subscriber that needs specific entries
    /// watches them).
    var pendingFrame: SessionEvent?
    var pendingEvents: [SessionEvent] = []
    var blockedSince: Double?
    var lastFrameTime = -Double.infinity
    /// `last_applied_seq` of the newest frame delivered: a frame reflecting a newer update skips the rate cap, so
    /// the first frame after an update is never held back (its latency is the update's).
    var lastDeliveredAppliedSeq: UInt64 = 0
    /// Where a held frame's time from publication to delivery is recorded (the `coalesced` stage).
    let stages: LatencyStages?

    init(id: SubscriptionID, sink: any SessionEventSink, watchIndices: [Int]?, stages: LatencyStages? = nil) {
        self.id = id
        self.stages = stages
        self.sink = sink
        self.watchIndices = watchIndices
    }

    enum Outcome { case ok, dropped(String) }

    /// Offers `event`; frames may be coalesced. Returns `.dropped` when the subscription must be removed.
    mutating func offer(_ event: SessionEvent, now: Double, limits: SubscriberLimits, batch: DeliveryBatch) -> Outcome {
        let frameAppliedSeq = event.body.frameAppliedSeq
        if let applied = frameAppliedSeq {
            pendingFrame = nil  // coalesced: only the newest frame is ever pending
            let capped = applied <= lastDeliveredAppliedSeq && now - lastFrameTime < limits.minimumFrameInterval
            if blockedSince == nil, capped {
                pendingFrame = event  // rate cap: sent ahead of the next event, or replaced by a newer frame
                return .ok
            }
        }
        // Nothing waits (a consumer that keeps up, the common case): straight to the sink, not stored first.
        let direct = blockedSince == nil && pendingFrame == nil && pendingEvents.isEmpty
        if direct, sink.offer(event, batch: batch) {
            if let applied = frameAppliedSeq { delivered(frameAppliedSeq: applied, at: now) }
            return .ok
        }
        if frameAppliedSeq == nil { pendingEvents.append(event) } else { pendingFrame = event }
        return direct ? blocked(now: now, limits: limits) : flush(now: now, limits: limits, batch: batch)
    }

    /// Sends what is pending, frame first (it is older than any event queued after it only when it was
    /// coalesced; a frame never overtakes the convergence signal that follows it).
    mutating func flush(now: Double, limits: SubscriberLimits, batch: DeliveryBatch) -> Outcome {
        if let frame = pendingFrame {
            guard sink.offer(frame, batch: batch) else { return blocked(now: now, limits: limits) }
            pendingFrame = nil
            if let applied = frame.body.frameAppliedSeq { delivered(frameAppliedSeq: applied, at: now) }
            stages?.record(.coalesced, nanoseconds: UInt64(max(0, now - frame.timestamp) * 1e9))
        }
        while !pendingEvents.isEmpty {
            guard sink.offer(pendingEvents[0], batch: batch) else { return blocked(now: now, limits: limits) }
            pendingEvents.removeFirst()
        }
        blockedSince = nil
        return .ok
    }

    private mutating func delivered(frameAppliedSeq applied: UInt64, at now: Double) {
        lastFrameTime = now
        lastDeliveredAppliedSeq = max(lastDeliveredAppliedSeq, applied)
    }

    private mutating func blocked(now: Double, limits: SubscriberLimits) -> Outcome {
        let since = blockedSince ?? now
        blockedSince = since
        if pendingEvents.count > limits.maxPendingEvents {
            return .dropped("more than \(limits.maxPendingEvents) events waited for a consumer that does not read")
        }
        if now - since > limits.slowConsumerTimeout {
            return .dropped("the consumer did not read for \(Int(limits.slowConsumerTimeout)) s")
        }
        return .ok
    }
}

extension SessionEventBody {
    /// `last_applied_seq` of an `iteration_update`; nil for every other event.
    var frameAppliedSeq: UInt64? {
        if case .iterationUpdate(let frame) = self { return frame.lastAppliedSeq }
        return nil
    }
}
