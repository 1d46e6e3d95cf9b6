#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a value that may only be touched on the thread that created it (the lws service thread), like NIOLoopBound.
/// Every access checks the thread and traps on a mismatch, in release builds too: touching lws state from another
/// thread is memory corruption waiting to happen, and the check is one `pthread_equal`.
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
        precondition(isOnOwnerThread, "lws state touched off the service thread")
        return storage
    }

    var isOnOwnerThread: Bool { pthread_equal(owner, pthread_self()) != 0 }
}
