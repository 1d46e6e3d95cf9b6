import SolverWire

/// Events to a WebSocket: one text message each. A subscription ending for a slow consumer closes the socket
/// (policy violation, 1008), since its outbox is full and nothing more can be said on it.
struct WebSocketEventTransport: EventTransport {
    let connection: WebSocketConnection

    func send(_ bytes: [UInt8]) -> SendResult { connection.send(utf8Text: bytes) }

    func finishAfterSubscriptionEnded(reason: String) {
        if reason.hasPrefix("slow_consumer") {
            connection.close(code: .policyViolation, reason: "slow consumer: events were not read", discardingQueued: true)
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
