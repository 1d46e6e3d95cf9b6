#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a value that may only be touched on the thread that created it (the lws service thread), like NIOLoopBound.
/// Every access checks the thread in debug builds and traps on a mismatch; release builds skip the check.
/// It is `Sendable` only so it can be parked in places Swift cannot see through (the lws context user pointer).
struct ServiceThreadBound<Value>: @unchecked Sendable {
    private let owner: pthread_t
    private let storage: Value

    /// Binds `value` to the calling thread.
    init(_ value: Value) {
        owner = pthread_self()
        storage = value
    }

    var value: Value {
        assert(isOnOwnerThread, "lws state touched off the service thread")
        return storage
    }

    var isOnOwnerThread: Bool { pthread_equal(owner, pthread_self()) != 0 }
}
