import Foundation
import Synchronization

/// One token bucket per key (a principal, an IP address), created on first use. Full buckets are forgotten when
/// the table grows, so memory follows the number of recently active clients.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    /// `nil`: not limited. Otherwise the seconds after which a retry can succeed.
    public typealias RetryAfter = Double?

    public let capacity: Double
    public let window: Double
    private let clock: @Sendable () -> Double
    private let buckets = Mutex<[Key: TokenBucket]>([:])
    static var pruneThreshold: Int { 4096 }

    public init(capacity: Double, window: Double, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.capacity = capacity
        self.window = window
        self.clock = clock
    }

    /// Takes `cost` from `key`'s bucket; returns nil when allowed, else the seconds to wait.
    public func take(_ key: Key, cost: Double = 1) -> RetryAfter {
        let now = clock()
        return buckets.withLock { table in
            if table.count >= Self.pruneThreshold { table = table.filter { !$0.value.isFull(now: now) } }
            var bucket = table[key] ?? TokenBucket(capacity: capacity, window: window, now: now)
            let wait = bucket.take(cost, now: now)
            table[key] = bucket
            return wait
        }
    }

    public var trackedKeys: Int { buckets.withLock { $0.count } }

    @Sendable public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}
