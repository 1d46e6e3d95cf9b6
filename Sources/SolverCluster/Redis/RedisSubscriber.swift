import Foundation
import Synchronization

/// Pub/sub on its own connection and thread: subscribes to fixed channels and patterns and calls `handler` with
/// each message (channel, payload) on that thread, in arrival order. When Redis goes away it reconnects with
/// backoff (under Sentinel, to the master it names then: a failover kills the old master's pub/sub clients) and
/// subscribes again; `onReconnect` runs after each re-subscription (messages published meanwhile are lost —
/// pub/sub is best-effort, so callers catch up from streams).
public final class RedisSubscriber: Sendable {
    public typealias Handler = @Sendable (_ channel: String, _ payload: [UInt8]) -> Void

    public let endpoint: RedisEndpoint
    private let channels: [String]
    private let patterns: [String]
    private let handler: Handler
    private let onReconnect: @Sendable () -> Void
    private struct State {
        var stopped = false
        var connection: RedisConnection?
        var connected = false
    }
    private let state = Mutex(State())

    public init(endpoint: RedisEndpoint, channels: [String], patterns: [String] = [],
                onReconnect: @escaping @Sendable () -> Void = {}, handler: @escaping Handler) {
        self.endpoint = endpoint
        self.channels = channels
        self.patterns = patterns
        self.handler = handler
        self.onReconnect = onReconnect
    }

    /// Whether the subscription is currently live.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Starts the thread. Returns at once.
    public func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "solverd.redis.pubsub"
        thread.start()
    }

    /// Stops the thread (it exits after unblocking).
    public func stop() {
        let connection = state.withLock { s in
            s.stopped = true
            return s.connection
        }
        connection?.interrupt()
    }

    private func loop() {
        var backoff = 0.05
        var first = true
        while !state.withLock({ $0.stopped }) {
            do {
                let connection = try RedisConnection.open(endpoint, connectTimeout: 0.5, commandTimeout: nil)
                state.withLock { $0.connection = connection }
                if !channels.isEmpty { try connection.append(["SUBSCRIBE"] + channels.map { RedisArgument($0) }) }
                if !patterns.isEmpty { try connection.append(["PSUBSCRIBE"] + patterns.map { RedisArgument($0) }) }
                for _ in 0..<(channels.count + patterns.count) { _ = try connection.readReply() }
                state.withLock { $0.connected = true }
                backoff = 0.05
                if !first { onReconnect() }
                first = false
                while true { deliver(try connection.readReply()) }
            } catch {
                state.withLock { s in
                    s.connection = nil
                    s.connected = false
                }
                if state.withLock({ $0.stopped }) { return }
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(2, backoff * 2)
            }
        }
    }

    /// `message channel payload` or `pmessage pattern channel payload`.
    private func deliver(_ reply: RESPValue) {
        guard let parts = reply.array, let kind = parts.first?.string else { return }
        if kind == "message", parts.count == 3, let channel = parts[1].string, let payload = parts[2].bytes {
            handler(channel, payload)
        } else if kind == "pmessage", parts.count == 4, let channel = parts[2].string, let payload = parts[3].bytes {
            handler(channel, payload)
        }
    }
}
