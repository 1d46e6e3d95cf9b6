import Dispatch
import Foundation
import Synchronization

/// Runs sessions' solver work in bounded slices on at most `width` threads, round-robin.
///
/// A session is at most once in the ready queue and runs on at most one worker at a time (its slice also runs on
/// its own serial queue). A session that wants more after a slice goes to the back of the queue, so 1,000 sessions
/// share the cores fairly. A session whose single step outlasts a slice (a huge system) is "heavy": heavy sessions
/// may occupy at most `width − 1` workers, so small sessions always have a worker. Workers exit when the queue is
/// empty: an idle service uses no CPU and no timers.
public final class SessionScheduler: Sendable {
    public static let defaultWidth = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public let width: Int
    /// Target length of one slice.
    public let sliceNanoseconds: UInt64

    private struct Entry {
        let session: Session
        var queued = false
        var running = false
        /// Scheduled again while running: requeue when the slice ends.
        var again = false
        var heavy = false
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var ready: [ObjectIdentifier] = []
        var readyHead = 0
        var workers = 0
        var heavyRunning = 0
        var slices = 0
    }

    private let state = Mutex(State())

    public init(width: Int = SessionScheduler.defaultWidth, sliceMicroseconds: Int = 1000) {
        self.width = max(1, width)
        self.sliceNanoseconds = UInt64(max(50, sliceMicroseconds)) * 1000
    }

    /// Slices run so far (for metrics and tests).
    public var slicesRun: Int { state.withLock { $0.slices } }

    /// Sessions waiting for a worker.
    public var readyCount: Int { state.withLock { $0.ready.count - $0.readyHead } }

    /// Asks for `session` to get a slice soon. Cheap and idempotent; callable from any thread.
    public func schedule(_ session: Session) {
        let key = ObjectIdentifier(session)
        let startWorker: Bool = state.withLock { s in
            var entry = s.entries[key] ?? Entry(session: session)
            if entry.running {
                entry.again = true
                s.entries[key] = entry
                return false
            }
            if entry.queued { return false }
            entry.queued = true
            s.entries[key] = entry
            s.ready.append(key)
            guard s.workers < width else { return false }
            s.workers += 1
            return true
        }
        if startWorker { spawnWorker() }
    }

    /// Workers run at background priority (nice 10 on Linux): solver slices are bulk work, while the threads that
    /// answer clients (the lws service thread, the journal's lanes) are latency-critical and must win the CPU when
    /// it is short — at user-initiated priority a durable ack waited behind other sessions' slices (ack p99 16 ms at
    /// 10,000 updates/s over 8 sessions on 2 cores; 4–7 ms now). An idle machine runs the slices just as fast.
    private func spawnWorker() {
        DispatchQueue.global(qos: .background).async { [self] in workerLoop() }
    }

    /// Takes the next runnable session: the first ready one, skipping heavy ones when they already hold all the
    /// workers they may.
    private func next(_ s: inout State) -> (ObjectIdentifier, Session)? {
        let heavyLimit = width > 1 ? width - 1 : 1
        var i = s.readyHead
        while i < s.ready.count {
            let key = s.ready[i]
            if let entry = s.entries[key], !(entry.heavy && s.heavyRunning >= heavyLimit) {
                s.ready.swapAt(i, s.readyHead)
                s.readyHead += 1
                if s.readyHead > 1024, s.readyHead * 2 > s.ready.count {
                    s.ready.removeFirst(s.readyHead)
                    s.readyHead = 0
                }
                var e = entry
                e.queued = false
                e.running = true
                if e.heavy { s.heavyRunning += 1 }
                s.entries[key] = e
                return (key, e.session)
            }
            i += 1
        }
        return nil
    }

    private func workerLoop() {
        while let (key, session) = state.withLock({ s -> (ObjectIdentifier, Session)? in
            if let found = next(&s) { return found }
            s.workers -= 1
            return nil
        }) {
            let start = DispatchTime.now().uptimeNanoseconds
            let deadline = start + sliceNanoseconds
            let wantsMore = session.queue.sync { session.runSlice(until: deadline) }
            let took = DispatchTime.now().uptimeNanoseconds - start
            state.withLock { s in
                s.slices += 1
                guard var e = s.entries[key] else { return }
                if e.heavy { s.heavyRunning -= 1 }
                e.running = false
                e.heavy = took > 2 * sliceNanoseconds
                if (wantsMore || e.again) && !session.isClosed {
                    e.again = false
                    e.queued = true
                    s.entries[key] = e
                    s.ready.append(key)
                } else {
                    s.entries[key] = nil
                }
            }
        }
    }
}
