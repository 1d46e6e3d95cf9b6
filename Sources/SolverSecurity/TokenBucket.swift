/// A token bucket: holds up to `capacity` tokens and regains `capacity` every `window` seconds, continuously.
/// "N requests per window" is a bucket of capacity N; bursts up to N pass, then one per `window / N` seconds.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    public private(set) var tokens: Double
    public private(set) var updatedAt: Double

    public init(capacity: Double, window: Double, now: Double) {
        precondition(capacity > 0 && window > 0, "a bucket needs a positive capacity and window")
        self.capacity = capacity
        self.refillPerSecond = capacity / window
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Takes `cost` tokens if there are enough; otherwise returns the seconds until there will be.
    public mutating func take(_ cost: Double = 1, now: Double) -> Double? {
        refill(now: now)
        if tokens >= cost {
            tokens -= cost
            return nil
        }
        return (min(cost, capacity) - tokens) / refillPerSecond
    }

    /// True when the bucket is full again (an idle client's bucket can be forgotten).
    public func isFull(now: Double) -> Bool {
        tokens + (now - updatedAt) * refillPerSecond >= capacity
    }

    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(capacity, tokens + (now - updatedAt) * refillPerSecond)
        updatedAt = now
    }
}
