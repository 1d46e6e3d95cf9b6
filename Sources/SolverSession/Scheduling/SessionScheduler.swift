import Dispatch
import Foundation
import Synchronization

/// Runs sessions' solver work in bounded slices on a few threads, in two lanes.
///
/// - The **urgent lane** holds sessions with updates that no frame reflects yet. Its slices apply the updates and
///   publish the first frame reflecting them — tens of microseconds — and take no step: the solve they start goes
///   to the solving lane, where the updates that arrive meanwhile share it (stepping on in the urgent slice cost
///   each update its own re-solve, and under load made first frames 10× later). Its workers run at the default
///   priority, so a first frame never queues behind other sessions' solving (at 10,000 updates/s over 1,000
///   sessions one round of solving slices took a second: that was the tail).
/// - The **solving lane** holds sessions that want more steps. Its workers run at background priority, round-robin,
///   so 1,000 sessions share the cores fairly and the latency-critical threads (the service thread, the journal's
///   lanes, the urgent lane) win the CPU when it is short.
///
/// A session is at most once in each lane and runs on at most one worker at a time (its slice also runs on its own
/// serial queue); a running session takes new updates between two steps itself. A session whose single step
/// outlasts a slice (a huge system) is "heavy": heavy sessions may occupy at most `width − 1` solving workers, so
/// small sessions always have one. Workers exit when their lane is empty: an idle service uses no CPU and no timers.
public final class SessionScheduler: Sendable {
    public static let defaultWidth = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public let width: Int
    /// Target length of one solving slice.
    public let sliceNanoseconds: UInt64

    enum Lane: Int {
        case urgent = 0, solving = 1
    }

    private struct Entry {
        let session: Session
        /// In the lane's queue (a session waiting in both lanes runs from the urgent one first).
        var queued: [Bool] = [false, false]
        var running = false
        /// Asked for again while running: requeue in that lane when the slice ends.
        var again: [Bool] = [false, false]
        var heavy = false
        /// Uptime (ns) when it last joined each lane: its wait there is the ready-queue stage.
        var queuedAt: [UInt64] = [0, 0]
    }

    private struct Queue {
        var keys: [ObjectIdentifier] = []
        var head = 0
        var workers = 0
        var count: Int { keys.count - head }

        mutating func compact() {
            if head > 1024, head * 2 > keys.count {
                keys.removeFirst(head)
                head = 0
            }
        }
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var lanes = [Queue(), Queue()]
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

    /// Sessions waiting for a worker, in both lanes.
    public var readyCount: Int { state.withLock { $0.lanes[0].count + $0.lanes[1].count } }

    /// Asks for `session` to get a solving slice soon. Cheap and idempotent; callable from any thread.
    public func schedule(_ session: Session) { schedule(session, in: .solving) }

    /// Asks for `session` to apply its ready updates and publish the frame reflecting them soon, ahead of solving.
    public func scheduleFirstFrame(_ session: Session) { schedule(session, in: .urgent) }

    private func schedule(_ session: Session, in lane: Lane) {
        let key = ObjectIdentifier(session)
        let l = lane.rawValue
        let startWorker: Bool = state.withLock { s in
            var entry = s.entries[key] ?? Entry(session: session)
            if entry.running {
                entry.again[l] = true
                s.entries[key] = entry
                return false
            }
            if entry.queued[l] { return false }
            entry.queued[l] = true
            entry.queuedAt[l] = DispatchTime.now().uptimeNanoseconds
            s.entries[key] = entry
            s.lanes[l].keys.append(key)
            return claimWorker(&s, lane)
        }
        if startWorker { spawnWorker(lane) }
    }

    /// Counts a new worker for `lane` when it has fewer than `width`; true when the caller must start it.
    private func claimWorker(_ s: inout State, _ lane: Lane) -> Bool {
        guard s.lanes[lane.rawValue].workers < width else { return false }
        s.lanes[lane.rawValue].workers += 1
        return true
    }

    /// Solving workers run at background priority (nice 10 on Linux): solving is bulk work, while the threads that
    /// answer clients must win the CPU when it is short — at user-initiated priority a durable ack waited behind
    /// other sessions' slices (ack p99 16 ms at 10,000 updates/s over 8 sessions on 2 cores; 4–7 ms after), and with
    /// solving at the default priority first frames queued behind it (p50 52 ms instead of 0.7 ms in bench-sessions
    /// at 10,000 updates/s over 1,000 sessions; nice 2 was in between). Urgent slices run at the default priority,
    /// the service thread's: at user-initiated (nice −2 where permitted) they preempted it, and frames and acks
    /// waited for the socket writes (bench-server, 1,000 sessions at 10,000/s: p99 8.5–11 ms, 6.8–7.9 at default).
    private func spawnWorker(_ lane: Lane) {
        let qos: DispatchQoS.QoSClass = lane == .urgent ? .default : .background
        DispatchQueue.global(qos: qos).async { [self] in workerLoop(lane) }
    }

    /// Takes the next runnable session of `lane`: the first queued one that is not running (it may be running from
    /// the other lane; it then waits, and takes its updates between two steps anyway), skipping heavy ones when
    /// they already hold all the solving workers they may. A key whose entry is no longer queued in this lane (not
    /// expected: an entry leaves the table only when queued nowhere) is dropped.
    private func next(_ s: inout State, _ lane: Lane) -> Taken? {
        let l = lane.rawValue
        let heavyLimit = width > 1 ? width - 1 : 1
        var i = s.lanes[l].head
        while i < s.lanes[l].keys.count {
            let key = s.lanes[l].keys[i]
            guard var entry = s.entries[key], entry.queued[l] else {
                s.lanes[l].keys.swapAt(i, s.lanes[l].head)
                s.lanes[l].head += 1
                i += 1
                continue
            }
            if !entry.running, !(lane == .solving && entry.heavy && s.heavyRunning >= heavyLimit) {
                s.lanes[l].keys.swapAt(i, s.lanes[l].head)
                s.lanes[l].head += 1
                s.lanes[l].compact()
                entry.queued[l] = false
                entry.running = true
                if lane == .solving, entry.heavy { s.heavyRunning += 1 }
                s.entries[key] = entry
                return Taken(key: key, session: entry.session, queuedAt: entry.queuedAt[l])
            }
            i += 1
        }
        return nil
    }

    private struct Taken {
        let key: ObjectIdentifier
        let session: Session
        let queuedAt: UInt64
    }

    private func workerLoop(_ lane: Lane) {
        let l = lane.rawValue
        while let taken = state.withLock({ s -> Taken? in
            if let found = next(&s, lane) { return found }
            s.lanes[l].workers -= 1
            return nil
        }) {
            let (key, session, queuedAt) = (taken.key, taken.session, taken.queuedAt)
            let start = DispatchTime.now().uptimeNanoseconds
            // An urgent slice applies the updates and frames them, and takes no step.
            let deadline = lane == .urgent ? nil : start + sliceNanoseconds
            let wantsMore = session.queue.sync { session.runSlice(until: deadline, queuedAt: queuedAt) }
            let took = DispatchTime.now().uptimeNanoseconds - start
            let toStart = state.withLock { s -> [Lane] in
                s.slices += 1
                guard var e = s.entries[key] else { return [] }
                if lane == .solving {
                    if e.heavy { s.heavyRunning -= 1 }
                    e.heavy = took > 2 * sliceNanoseconds
                }
                e.running = false
                let wanted = [e.again[Lane.urgent.rawValue], wantsMore || e.again[Lane.solving.rawValue]]
                e.again = [false, false]
                var toStart: [Lane] = []
                for other in [Lane.urgent, .solving] where !session.isClosed {
                    let o = other.rawValue
                    if wanted[o], !e.queued[o] {
                        e.queued[o] = true
                        e.queuedAt[o] = DispatchTime.now().uptimeNanoseconds
                        s.lanes[o].keys.append(key)
                    }
                    // Also when it was queued while running: that lane's workers may have left meanwhile.
                    if e.queued[o], claimWorker(&s, other) { toStart.append(other) }
                }
                s.entries[key] = e.queued.contains(true) ? e : nil
                return toStart
            }
            for lane in toStart { spawnWorker(lane) }
        }
    }
}
