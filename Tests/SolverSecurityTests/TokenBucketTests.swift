import SolverSecurity
import Testing

struct TokenBucketTests {
    @Test func burstThenRefillAtTheWindowRate() {
        var bucket = TokenBucket(capacity: 3, window: 3, now: 0)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        let wait = bucket.take(now: 0)
        #expect(wait != nil && abs(wait! - 1) < 1e-9)
        #expect(bucket.take(now: 0.5) != nil)
        #expect(bucket.take(now: 1.0) == nil)
        #expect(bucket.isFull(now: 10))
    }

    @Test func rateLimiterKeepsOneBucketPerKey() {
        let clock = TestClock(100)
        let limiter = RateLimiter<String>(capacity: 2, window: 10, clock: { clock.now })
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("a") != nil)
        #expect(limiter.take("b") == nil)
        clock.now += 5
        #expect(limiter.take("a") == nil)
        #expect(limiter.trackedKeys == 2)
    }

    @Test func costsLargerThanOneUseBytes() {
        var bucket = TokenBucket(capacity: 1000, window: 1, now: 0)
        #expect(bucket.take(600, now: 0) == nil)
        #expect(bucket.take(600, now: 0) != nil)
        #expect(bucket.take(600, now: 0.2) == nil)
    }

    @Test func concurrencyLimiterCountsAndReleases() {
        let limiter = ConcurrencyLimiter<String>(limit: 2)
        #expect(limiter.acquire("ip"))
        #expect(limiter.acquire("ip"))
        #expect(!limiter.acquire("ip"))
        limiter.release("ip")
        #expect(limiter.acquire("ip"))
        #expect(limiter.count("other") == 0)
    }
}
