import Dispatch
import Foundation
import SolverCore
import Synchronization

/// The threads of one scheduler lane: started on demand, parked when their lane runs dry, ended after `idleTimeout`
/// parked (an idle service keeps no threads busy and, after a while, none at all).
///
/// Threads of its own rather than Dispatch's pool: a lane must get a thread the moment it has work. libdispatch on
/// Linux adds pool threads only when its monitor sees the pool short of runnable threads, and while the pool's
/// threads were taken (test threads blocked in sleeps; session builds on a 2-core machine) an urgent slice waited
/// 350 ms for one. And the solving lane's threads keep their lower priority for good, which must not leak into a
/// shared pool.
final class LaneWorkers: Sendable {
    private struct Counts {
        var threads = 0
        var parked = 0
        /// Work handed to parked threads, one per wake-up signalled (taken in order).
        var handed: [@Sendable () -> Void] = []
    }

    let name: String
    let idleTimeout: Duration
    /// Run once on each new thread before any work (the solving lane's lower priority).
    private let prepareThread: @Sendable () -> Void
    private let counts = Mutex(Counts())
    private let wakeup = DispatchSemaphore(value: 0)

    init(name: String, idleTimeout: Duration = .seconds(2), prepareThread: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.idleTimeout = idleTimeout
        self.prepareThread = prepareThread
        // Made now, from the thread that builds the scheduler (see `ThreadSpawner`).
        _ = ThreadSpawner.shared
    }

    /// Threads alive, parked or working (for tests).
    var threadCount: Int { counts.withLock { $0.threads } }

    /// Runs `work` (the lane's loop, which returns when the lane is empty) on one more thread: a parked one is
    /// woken and handed it, else a thread is started. The caller decides how many may work at once.
    func start(_ work: @escaping @Sendable () -> Void) {
        let wakeParked = counts.withLock { c in
            if c.parked > 0 {
                c.parked -= 1
                c.handed.append(work)
                return true
            }
            c.threads += 1
            return false
        }
        if wakeParked {
            wakeup.signal()
            return
        }
        ThreadSpawner.shared.start(name: name) { [self] in
            prepareThread()
            var next: (@Sendable () -> Void)? = work
            while let job = next {
                job()
                next = park()
            }
        }
    }

    /// Waits to be handed more work; nil when none came within `idleTimeout` (the thread then ends).
    private func park() -> (@Sendable () -> Void)? {
        counts.withLock { $0.parked += 1 }
        if wakeup.wait(timeout: .now() + .nanoseconds(Int(idleTimeout.nanoseconds))) == .timedOut {
            let leave = counts.withLock { c in
                // Still counted as parked: no `start` chose this thread, so it may end.
                guard c.parked > 0 else { return false }
                c.parked -= 1
                c.threads -= 1
                return true
            }
            if leave { return nil }
            // A `start` took a parked thread just as the wait timed out and is signalling: that wake-up is this one's.
            wakeup.wait()
        }
        // Every signal follows one handed job, so there is one to take.
        return counts.withLock { $0.handed.removeFirst() }
    }
}

/// Starts the lanes' threads from one thread of its own, at the priority the process started with.
///
/// A new thread inherits its creator's scheduling policy and nice value, and without privileges it cannot take back
/// a higher priority: an urgent-lane thread started by a solving thread (which is what happens when a slice ends and
/// the session has new updates) ran under the idle policy or at nice 10 for the rest of its life.
final class ThreadSpawner: Sendable {
    /// Made by the first `LaneWorkers`, so from the thread that builds the scheduler (the process's main thread in
    /// solverd).
    static let shared = ThreadSpawner()

    private let requests = Mutex<[(name: String, body: @Sendable () -> Void)]>([])
    private let pending = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                pending.wait()
                let request = requests.withLock { $0.removeFirst() }
                let started = Thread(block: request.body)
                started.name = request.name
                started.start()
            }
        }
        thread.name = "solverd-spawner"
        thread.start()
    }

    /// Starts a thread named `name` running `body`, soon; never waits.
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        requests.withLock { $0.append((name, body)) }
        pending.signal()
    }
}
