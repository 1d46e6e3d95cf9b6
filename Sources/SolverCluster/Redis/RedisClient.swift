import Dispatch
import SolverSession
import Synchronization

/// A thread-safe synchronous Redis client over one dedicated connection (give each use its own client: the journal,
/// leases, snapshots). Commands run one at a time under a lock, each bounded by `commandTimeout`.
///
/// When Redis goes away a call throws `RedisError.unavailable` at once — it never crashes and never waits for Redis
/// to come back. The next call reconnects, but not sooner than the current backoff (50 ms doubling to 2 s, reset by a
/// successful connect), so a dead Redis costs one failed connect per backoff period, not one per call. A reply
/// `READONLY` or `MASTERDOWN` (the master was demoted) also drops the connection. Reconnecting goes through
/// `RedisConnection.open`: under Sentinel it asks for the master again, so a failover is followed.
public final class RedisClient: Sendable {
    public struct Options: Sendable {
        public var connectTimeout: Double = 0.5
        public var commandTimeout: Double = 2
        public var minBackoff: Double = 0.05
        public var maxBackoff: Double = 2
        public init() {}
    }

    public let endpoint: RedisEndpoint
    public let options: Options

    private struct State {
        var connection: RedisConnection?
        var backoff: Double
        var nextAttempt: UInt64 = 0
        var lastError: RedisError?
    }
    // RedisConnection is not Sendable; the mutex is its only access path.
    private let state: Mutex<State>

    public init(endpoint: RedisEndpoint, options: Options = Options()) {
        self.endpoint = endpoint
        self.options = options
        self.state = Mutex(State(backoff: options.minBackoff))
    }

    /// Whether a connection is currently up (no I/O).
    public var isConnected: Bool { state.withLock { $0.connection.map { !$0.broken } ?? false } }

    /// Runs one command.
    @discardableResult
    public func command(_ args: RedisArgument...) throws -> RESPValue {
        try pipeline([args])[0]
    }

    @discardableResult
    public func command(_ args: [RedisArgument]) throws -> RESPValue {
        try pipeline([args])[0]
    }

    /// Runs commands in one round trip; replies in order (error replies as `.error`, not thrown).
    public func pipeline(_ commands: [[RedisArgument]]) throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        NonBlockingThread.checkMayBlock("a Redis round trip to \(endpoint)")
        return try state.withLock { s in
            let connection = try connected(&s)
            do {
                let replies = try connection.pipeline(commands)
                // A demoted master: the next call reconnects, asking Sentinel where the master is now.
                if replies.contains(where: \.demandsReconnect) { s.connection = nil }
                return replies
            } catch let error as RedisError {
                s.connection = nil
                s.lastError = error
                throw error
            }
        }
    }

    /// Drops the connection (tests; after a fencing failure the caller may want a fresh one).
    public func disconnect() { state.withLock { $0.connection = nil } }

    private func connected(_ s: inout State) throws -> RedisConnection {
        if let c = s.connection, !c.broken { return c }
        s.connection = nil
        let now = DispatchTime.now().uptimeNanoseconds
        guard now >= s.nextAttempt else {
            throw s.lastError ?? RedisError.unavailable("\(endpoint) is unreachable; retrying shortly")
        }
        do {
            let c = try RedisConnection.open(endpoint, connectTimeout: options.connectTimeout,
                                             commandTimeout: options.commandTimeout)
            s.connection = c
            s.backoff = options.minBackoff
            s.lastError = nil
            return c
        } catch let error as RedisError {
            s.lastError = error
            s.nextAttempt = now + UInt64(s.backoff * 1e9)
            s.backoff = min(options.maxBackoff, s.backoff * 2)
            throw error
        }
    }
}

extension RedisClient {
    /// Runs a Lua script by SHA, loading it on `NOSCRIPT` (first use, or after a Redis restart emptied the cache).
    public func evalScript(_ script: RedisScript, keys: [RedisArgument], args: [RedisArgument]) throws -> RESPValue {
        let tail = [RedisArgument(keys.count)] + keys + args
        let reply = try command([RedisArgument("EVALSHA"), RedisArgument(script.sha1)] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try command([RedisArgument("EVAL"), RedisArgument(script.source)] + tail).checked()
        }
        return try reply.checked()
    }
}
