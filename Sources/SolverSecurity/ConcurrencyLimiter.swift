import Synchronization

/// Counts open things (streams, connections) per key and refuses one more beyond `limit`.
public final class ConcurrencyLimiter<Key: Hashable & Sendable>: Sendable {
    public let limit: Int
    private let counts = Mutex<[Key: Int]>([:])

    public init(limit: Int) {
        self.limit = limit
    }

    /// Counts one more for `key` unless it already holds `limit`.
    public func acquire(_ key: Key) -> Bool {
        counts.withLock { table in
            let now = table[key, default: 0]
            guard now < limit else { return false }
            table[key] = now + 1
            return true
        }
    }

    public func release(_ key: Key) {
        counts.withLock { table in
            let now = table[key, default: 0]
            table[key] = now > 1 ? now - 1 : nil
        }
    }

    public func count(_ key: Key) -> Int { counts.withLock { $0[key, default: 0] } }
}
