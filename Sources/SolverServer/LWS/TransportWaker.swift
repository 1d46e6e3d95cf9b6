import CLibwebsockets
import SolverSession
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The only path from other threads into the service thread: a `Mutex`-protected list of connection ids that have
/// new outbound work, plus lifecycle commands, followed by `lws_cancel_service()`. The service thread drains it in
/// `LWS_CALLBACK_EVENT_WAIT_CANCELLED`.
///
/// `lws_cancel_service` (a write to lws' event descriptor) is called after the lock is released: the service thread
/// takes the lock in every drain and must never wait for another thread's system call.
final class TransportWaker: DeliveryWaker, Sendable {
    enum Command: Sendable, Equatable {
        /// Start a graceful shutdown and tell the handler (sent to the first service thread only).
        case beginDraining
        /// Close this thread's connections for a shutdown the first thread began.
        case drainConnections
        /// Serve this accepted socket (dealt out by the thread that accepts; see `ServiceLoop+Accept`).
        case adopt(Int32)
        case stop
    }

    private struct State: ~Copyable {
        /// Invariant: non-nil exactly while the lws context exists. `attach(nil)` clears it under the lock and then
        /// waits until `cancelsInFlight` is 0, before `lws_context_destroy`, so `lws_cancel_service` (thread-safe in
        /// lws) never sees a dead context.
        var context: ContextHandle?
        /// The service thread (set with the context): it drains after every service turn, so its own announcements
        /// need no cancel (an eventfd write and a needless poll round on the path of every reply).
        var serviceThread: pthread_t?
        var ready: [UInt64] = []
        var commands: [Command] = []
        /// Run after the drain that takes them has written what it could (see `afterNextDrain`).
        var afterDrain: [@Sendable () -> Void] = []
        /// A cancel was (or is being) issued since the last drain: it will take whatever is added meanwhile.
        var cancelPending = false
    }

    private let state = Mutex(State())
    /// Cancels issued with a context read under the lock and not returned yet.
    private let cancelsInFlight = Atomic<Int>(0)

    /// Announces that connection `id` has queued output.
    ///
    /// Only the first announcement after a drain cancels the service wait: while anything is queued, a cancel is
    /// already pending and the drain it triggers takes this id too.
    func wake(_ id: UInt64) { announce { $0.ready.append(id) } }

    /// Announces a publication's connections at once (`DeliveryBatch`): one cancel, one drain that writes them all.
    func wake(_ ids: [UInt64]) { announce { $0.ready.append(contentsOf: ids) } }

    /// Calls `done` on the service thread after its next drain wrote every connection announced before this call
    /// (as far as the sockets took it). Wakes the service thread if nothing else will.
    func afterNextDrain(_ done: @escaping @Sendable () -> Void) { announce { $0.afterDrain.append(done) } }

    func post(_ command: Command) { announce { $0.commands.append(command) } }

    /// Applies `change` under the lock, then cancels the service wait unless a cancel since the last drain already
    /// will.
    private func announce(_ change: (inout State) -> Void) {
        let context: ContextHandle? = state.withLock { state in
            change(&state)
            guard !state.cancelPending, let context = state.context else { return nil }
            state.cancelPending = true
            if let owner = state.serviceThread, pthread_equal(owner, pthread_self()) != 0 { return nil }
            cancelsInFlight.add(1, ordering: .relaxed)  // ordered by the lock before `attach(nil)` looks
            return context
        }
        guard let context else { return }
        lws_cancel_service(context.pointer)
        cancelsInFlight.subtract(1, ordering: .releasing)
    }

    /// Service thread: takes everything queued so far. With `continuing`, the caller comes back for more after
    /// writing what it took (see `ServiceLoop.drainWakeups`): until then a cancel counts as pending, so a producer
    /// does not wake a thread that is awake and about to look. A drain that finds nothing, or one not continuing,
    /// leaves the next announcement to cancel.
    func drain(continuing: Bool) -> (ready: [UInt64], commands: [Command], afterDrain: [@Sendable () -> Void]) {
        state.withLock { state in
            defer {
                state.cancelPending =
                    continuing && (!state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty)
                state.ready.removeAll(keepingCapacity: true)
                state.commands.removeAll()
                state.afterDrain.removeAll()
            }
            return (state.ready, state.commands, state.afterDrain)
        }
    }

    /// Service thread, after its last drain pass: what it announced itself meanwhile (without a cancel) is still
    /// queued, so the coming service wait must return at once.
    func cancelIfPending() {
        let context: ContextHandle? = state.withLock { state in
            let queued = !state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty
            guard queued, let context = state.context else { return nil }
            state.cancelPending = true
            return context
        }
        if let context { lws_cancel_service(context.pointer) }
    }

    /// Service thread: publishes the context (after creation) or withdraws it (before destruction).
    func attach(_ context: OpaquePointer?) {
        let handle = context.map(ContextHandle.init)
        let cancelNow = state.withLock { state in
            state.context = handle
            state.serviceThread = handle == nil ? nil : pthread_self()
            let queued = !state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty
            state.cancelPending = handle != nil && queued
            return state.cancelPending
        }
        if let handle, cancelNow { lws_cancel_service(handle.pointer) }
        // Withdrawing: a producer may still be inside `lws_cancel_service` with the old context. That call is an
        // eventfd write, so this wait (once, at shutdown) is short.
        while handle == nil, cancelsInFlight.load(ordering: .acquiring) != 0 { sched_yield() }
    }

    /// The context pointer crosses threads only to reach `lws_cancel_service`, which lws documents as thread-safe.
    private struct ContextHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }
}
