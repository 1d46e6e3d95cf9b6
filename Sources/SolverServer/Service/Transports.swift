import SolverWire

/// Events to a WebSocket: one text message each. A subscription ending for a slow consumer closes the socket
/// (policy violation, 1008), since its outbox is full and nothing more can be said on it; a consumer that stopped
/// reading altogether is reset instead (see `WebSocketConnection.close(_:discardingQueued:)`).
struct WebSocketEventTransport: EventTransport {
    /// Event frames stop being queued once this many bytes wait for the socket (the kernel's socket buffer holds
    /// more); the subscription then coalesces, and is dropped with 1008 if its consumer stays blocked. Replies may
    /// still use the rest of the connection's `maxQueuedBytesPerConnection` (8 MiB). Without this bound a consumer
    /// that stops reading held up to 8 MiB of stale frames: 1,000 of them, gigabytes (make bench-slow).
    static let eventQueueBytes = 16 * 1024

    let connection: WebSocketConnection

    func send(_ bytes: [UInt8]) -> SendResult {
        let queued = connection.queuedBytes
        guard queued < Self.eventQueueBytes else { return connection.isOpen ? .overflow(queuedBytes: queued) : .closed }
        return connection.send(utf8Text: bytes)
    }

    func finishAfterSubscriptionEnded(reason: String) {
        if reason.hasPrefix("slow_consumer") {
            connection.close(.slowConsumer, discardingQueued: true)
        }
    }
}

/// Events to a streamed HTTP response (NDJSON or SSE); the stream ends with its subscription.
struct HTTPStreamEventTransport: EventTransport {
    let stream: HTTPStream
    let streams: StreamRegistry
    let streamID: UInt64

    func send(_ bytes: [UInt8]) -> SendResult { stream.send(bytes) }

    func finishAfterSubscriptionEnded(reason: String) {
        streams.remove(streamID)
        stream.finish()
    }
}
