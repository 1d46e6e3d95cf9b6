/// What happened to bytes handed to ``WebSocketConnection/send(text:)`` or ``HTTPStream/send(_:)``.
public enum SendResult: Sendable, Hashable {
    /// Queued; it will be written in order.
    case enqueued
    /// Not queued: the connection already has `maxQueuedBytesPerConnection` bytes waiting. The consumer is slow;
    /// the caller may coalesce, drop, or close the connection with a reason.
    case overflow(queuedBytes: Int)
    /// Not queued: the connection is closing or gone.
    case closed
}
