import Synchronization
import SolverSession
import SolverWire

/// Events to a WebSocket: one text message each. A subscription ending for a slow consumer closes the socket
/// (policy violation, 1008), since its outbox is full and nothing more can be said on it; a consumer that stopped
/// reading altogether is reset instead (see `WebSocketConnection.close(_:discardingQueued:)`).
struct WebSocketEventTransport: EventTransport {
    /// Event frames stop being queued once this many bytes per subscription of the connection wait for the socket
    /// (the kernel's socket buffer holds more), at most `maxEventQueueBytes`; the subscription then coalesces, and is
    /// dropped with 1008 if its consumer stays blocked. Replies may still use the rest of the connection's
    /// `maxQueuedBytesPerConnection` (8 MiB). Without this bound a consumer that stops reading held up to 8 MiB of
    /// stale frames: 1,000 of them, gigabytes (make bench-slow). Per subscription, because a connection that carries
    /// many sessions carries their frames at once: 125 sessions at 10 updates/s each kept a shared 16 KiB bound full,
    /// and frames waited for the 20 ms retry (bench-server's coalesced stage p99.9 20 ms, 0.3–1.2 ms with room).
    static let eventQueueBytes = 16 * 1024
    static let maxEventQueueBytes = 256 * 1024

    let connection: WebSocketConnection
    /// How many sessions the connection subscribes to (read at each send; nil: one).
    var subscriptionsOnConnection: SubscriptionTally?
    /// Runs when the subscription ended by itself (the session closed, or the consumer was dropped).
    var ended: (@Sendable () -> Void)? = nil

    func send(_ bytes: [UInt8]) -> SendResult {
        connection.send(eventText: bytes, whileQueuedBelow: eventQueueLimit, batch: nil)
    }

    func send(event bytes: [UInt8], batch: DeliveryBatch) -> SendResult {
        connection.send(eventText: bytes, whileQueuedBelow: eventQueueLimit, batch: batch)
    }

    private var eventQueueLimit: Int {
        min(Self.maxEventQueueBytes, Self.eventQueueBytes * max(1, subscriptionsOnConnection?.count ?? 1))
    }

    func finishAfterSubscriptionEnded(reason: String) {
        ended?()
        if reason.hasPrefix("slow_consumer") {
            connection.close(.slowConsumer, discardingQueued: true)
        }
    }

    /// The subscription leaves the client's table before the event is queued (the socket stays open).
    func sendLast(_ bytes: [UInt8], reason: String) -> SendResult {
        finishAfterSubscriptionEnded(reason: reason)
        return send(bytes)
    }
}

/// How many sessions a WebSocket connection subscribes to: kept by its client, read by every event send of every
/// subscription. An object of its own, so transports read it without a weak reference to the client (a weak load
/// per subscriber per event cost as much as queueing the frame).
final class SubscriptionTally: Sendable {
    private let value = Atomic<Int>(0)

    init(_ count: Int = 0) { value.store(count, ordering: .relaxed) }

    var count: Int { value.load(ordering: .relaxed) }
    func set(_ count: Int) { value.store(count, ordering: .relaxed) }
}

/// Events to a streamed HTTP response (NDJSON or SSE), started only once the subscription is in place (so a
/// refusal can still be a plain HTTP error); the stream ends with its subscription.
final class LazyStreamOutput: EventTransport, Sendable {
    private let reply: Reply
    private let framing: EventFraming
    private let streams: StreamRegistry
    private let streamID: UInt64
    private let state = Mutex<(stream: HTTPStream?, registered: Bool, finished: Bool)>((nil, false, false))

    init(reply: Reply, framing: EventFraming, streams: StreamRegistry, streamID: UInt64) {
        self.reply = reply
        self.framing = framing
        self.streams = streams
        self.streamID = streamID
    }

    var stream: HTTPStream? { state.withLock { $0.stream } }

    /// Starts the response (200 and the stream headers) and sends `first`; false when the client is gone.
    func start(first: [UInt8]?) -> Bool {
        guard let stream = reply.startStream(framing) else { return false }
        if let first { _ = stream.send(first) }
        state.withLock { $0.stream = stream }
        return true
    }

    /// Puts the stream in the registry (heartbeats, drain) unless it already ended; false when it had.
    func register(_ entry: StreamRegistry.Entry) -> Bool {
        state.withLock { s in
            guard !s.finished else { return false }
            s.registered = true
            streams.add(streamID, entry)
            return true
        }
    }

    func send(_ bytes: [UInt8]) -> SendResult { state.withLock { $0.stream }?.send(bytes) ?? .closed }

    func finishAfterSubscriptionEnded(reason: String) {
        let (stream, registered) = state.withLock { s in
            s.finished = true
            return (s.stream, s.registered)
        }
        if registered { streams.remove(streamID) }
        stream?.finish()
    }
}
