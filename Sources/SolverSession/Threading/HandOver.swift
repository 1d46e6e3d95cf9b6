import Dispatch
import Synchronization

/// One value handed from the thread that completes an asynchronous call to a thread that waits for it: what the
/// blocking conveniences (tests, CLI, benchmarks) are built from. Callers check `NonBlockingThread` first.
public final class HandOver<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    public init() {}

    /// Hands the value over; call once.
    public func set(_ newValue: Value) {
        value.withLock { $0 = newValue }
        done.signal()
    }

    /// The value, waiting for it unless it was handed over already.
    public func wait() -> Value {
        if let ready = value.withLock({ $0 }) { return ready }
        done.wait()
        return value.withLock { $0! }
    }
}
