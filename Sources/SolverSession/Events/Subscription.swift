/// One subscriber's delivery state: what it watches, and what waits while its consumer is slow.
///
/// A blocked subscriber keeps at most one `iteration_update` (each newer frame replaces the older one) plus a bounded list of other events; past the
/// bound, or after `slowConsumerTimeout` seconds blocked, it is dropped with reason `slow_consumer`. Memory per
/// subscriber is therefore bounded whatever the client does. Touched only under the `EventHub` lock.
struct Subscription {
    let id: SubscriptionID
    let sink: any SessionEventSink
    let watchIndices: [Int]?
    var pendingFrame: SessionEvent?
    var pendingEvents: [SessionEvent] = []
    var blockedSince: Double?
    var lastFrameTime = -Double.infinity
    /// `last_applied_seq` of the newest frame delivered: a frame reflecting a newer update skips the rate cap, so
    /// the first frame after an update is never held back (its latency is the update's).
    var lastDeliveredAppliedSeq: UInt64 = 0

    init(id: SubscriptionID, sink: any SessionEventSink, watchIndices: [Int]?) {
        self.id = id
        self.sink = sink
        self.watchIndices = watchIndices
    }

    enum Outcome { case ok, dropped(String) }

    /// Offers `event`; frames may be coalesced. Returns `.dropped` when the subscriber must be removed.
    mutating func offer(_ event: SessionEvent, now: Double, limits: SubscriberLimits) -> Outcome {
        if case .iterationUpdate(let frame) = event.body {
            coalesce(event, limits: limits)
            let reflectsNewUpdate = frame.lastAppliedSeq > lastDeliveredAppliedSeq
            if blockedSince == nil, !reflectsNewUpdate, now - lastFrameTime < limits.minimumFrameInterval { return .ok }
        } else {
            pendingEvents.append(event)
        }
        return flush(now: now, limits: limits)
    }

    /// Sends what is pending, frame first (it is older than any event queued after it only when it was
    /// coalesced; a frame never overtakes the convergence signal that follows it).
    mutating func flush(now: Double, limits: SubscriberLimits) -> Outcome {
        if let frame = pendingFrame {
            guard sink.offer(frame) else { return blocked(now: now, limits: limits) }
            pendingFrame = nil
            lastFrameTime = now
            if case .iterationUpdate(let update) = frame.body {
                lastDeliveredAppliedSeq = max(lastDeliveredAppliedSeq, update.lastAppliedSeq)
            }
        }
        while !pendingEvents.isEmpty {
            guard sink.offer(pendingEvents[0]) else { return blocked(now: now, limits: limits) }
            pendingEvents.removeFirst()
        }
        blockedSince = nil
        return .ok
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

    /// Replaces the pending frame with the newer one. Its `x_partial` holds the entries that changed most over the
    /// newest frame interval, with current values; the entries of the dropped frame are not carried over, since
    /// their values are stale by now (a subscriber that needs specific entries watches them).
    private mutating func coalesce(_ event: SessionEvent, limits: SubscriberLimits) {
        pendingFrame = event
    }
}
