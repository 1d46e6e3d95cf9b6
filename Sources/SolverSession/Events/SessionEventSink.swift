/// Identifies one subscription within a session.
public struct SubscriptionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { "sub-\(rawValue)" }
}

/// What the transport implements for one subscriber (a WebSocket connection, an NDJSON or SSE stream).
///
/// Both calls arrive on arbitrary threads, possibly under the session's event lock: they must not block and must
/// not call back into the session synchronously (enqueue and return).
public protocol SessionEventSink: AnyObject, Sendable {
    /// Offers one event. Returns false when the consumer's buffer is full: the event is then not taken, the
    /// subscription keeps it (coalescing frames) and waits for `EventHub.resume(_:)`.
    func offer(_ event: SessionEvent) -> Bool
    /// `offer` from a publication to many subscribers: a sink whose transport must wake an I/O thread leaves that
    /// wake-up to `batch`, which runs once every subscriber was offered the event.
    func offer(_ event: SessionEvent, batch: DeliveryBatch) -> Bool
    /// The subscription ended: `unsubscribed`, `session_closed`, or `slow_consumer` when it was dropped.
    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String)
}

extension SessionEventSink {
    /// Sinks that wake nothing deliver at once.
    public func offer(_ event: SessionEvent, batch: DeliveryBatch) -> Bool { offer(event) }
}

/// Per-subscriber delivery limits.
public struct SubscriberLimits: Sendable {
    /// Frames closer together than this are coalesced into the newest (a rate cap per subscriber).
    public var minimumFrameInterval: Double = 0.005
    /// Most `x_partial` entries in one frame.
    public var maxPartialEntries: Int = 64
    /// Most watched indices per subscription.
    public var maxWatchedIndices: Int = 1024
    /// Non-frame events kept for a blocked subscriber before it is dropped.
    public var maxPendingEvents: Int = 256
    /// A subscriber whose buffer stays full for this long is dropped.
    public var slowConsumerTimeout: Double = 10
    public init() {}
}
