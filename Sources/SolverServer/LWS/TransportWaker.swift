import CLibwebsockets
import Synchronization

/// The only path from other threads into the service thread: a `Mutex`-protected list of connection ids that have
/// new outbound work, plus lifecycle commands, followed by `lws_cancel_service()`. The service thread drains it in
/// `LWS_CALLBACK_EVENT_WAIT_CANCELLED`.
final class TransportWaker: Sendable {
    enum Command: Sendable, Equatable {
        case beginDraining
        case stop
    }

    private struct State: ~Copyable {
        /// Invariant: non-nil exactly while the lws context exists; cleared under the lock before
        /// `lws_context_destroy`, so `lws_cancel_service` (thread-safe in lws) never sees a dead context.
        var context: ContextHandle?
        var ready: [UInt64] = []
        var commands: [Command] = []
        /// Run after the drain that takes them has written what it could (see `afterNextDrain`).
        var afterDrain: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// Announces that connection `id` has queued output.
    ///
    /// Only the first announcement after a drain cancels the service wait: while anything is queued, a cancel is
    /// already pending and the drain it triggers takes this id too. Fanning one event out to many subscribers thus
    /// costs one pipe write and one service wake-up, not one per subscriber.
    func wake(_ id: UInt64) {
        state.withLock { state in
            let wakePending = !state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty
            state.ready.append(id)
            if !wakePending, let context = state.context { lws_cancel_service(context.pointer) }
        }
    }

    /// Calls `done` on the service thread after its next drain wrote every connection announced before this call
    /// (as far as the sockets took it). Wakes the service thread if nothing else will.
    func afterNextDrain(_ done: @escaping @Sendable () -> Void) {
        state.withLock { state in
            let wakePending = !state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty
            state.afterDrain.append(done)
            if !wakePending, let context = state.context { lws_cancel_service(context.pointer) }
        }
    }

    func post(_ command: Command) {
        state.withLock { state in
            state.commands.append(command)
            if let context = state.context { lws_cancel_service(context.pointer) }
        }
    }

    /// Service thread: takes everything queued so far.
    func drain() -> (ready: [UInt64], commands: [Command], afterDrain: [@Sendable () -> Void]) {
        state.withLock { state in
            defer {
                state.ready.removeAll(keepingCapacity: true)
                state.commands.removeAll()
                state.afterDrain.removeAll()
            }
            return (state.ready, state.commands, state.afterDrain)
        }
    }

    /// Service thread: publishes the context (after creation) or withdraws it (before destruction).
    func attach(_ context: OpaquePointer?) {
        let handle = context.map(ContextHandle.init)
        state.withLock { state in
            state.context = handle
            if let handle, !state.ready.isEmpty || !state.commands.isEmpty || !state.afterDrain.isEmpty {
                lws_cancel_service(handle.pointer)
            }
        }
    }

    /// The context pointer crosses threads only to reach `lws_cancel_service`, which lws documents as thread-safe.
    private struct ContextHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }
}
