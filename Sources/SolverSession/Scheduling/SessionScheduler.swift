import Dispatch
import Foundation
import Logging
import Synchronization

/// Runs sessions' solver work in bounded slices on a few threads, in two lanes.
///
/// - The **urgent lane** holds sessions with updates that no frame reflects yet. Its slices apply the updates and
///   publish the first frame reflecting them — tens of microseconds — and take no step: the solve they start goes
///   to the solving lane, where the updates that arrive meanwhile share it (stepping on in the urgent slice cost
///   each update its own re-solve, and under load made first frames 10× later). Its workers run at the default
///   priority, so a first frame never queues behind other sessions' solving (at 10,000 updates/s over 1,000
///   sessions one round of solving slices took a second: that was the tail).
/// - The **solving lane** holds sessions that want more steps. Its workers run round-robin at a lower CPU priority
///   (nice 10, or the idle scheduling policy), so 1,000 sessions share the cores fairly and the latency-critical
///   threads (the service thread, the journal's lanes, the urgent lane) get the CPU when they want it.
///
/// A session is at most once in each lane and runs on at most one worker at a time (its slice also runs on its own
/// serial queue); a running session takes new updates between two steps itself. A session whose single step
/// outlasts a slice (a huge system) is "heavy": heavy sessions may occupy at most `width − 1` solving workers, so
/// small sessions always have one. Workers park when their lane is empty and end after two idle seconds: an idle
/// service uses no CPU.
public final class SessionScheduler: Sendable {
    public static let defaultWidth = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public let width: Int
    /// Target length of one solving slice.
    public let sliceNanoseconds: UInt64

    enum Lane: Int {
        case urgent = 0, solving = 1
        /// Both, urgent first (a constant, so loops over it allocate nothing).
        static let both: [Lane] = [.urgent, .solving]
    }

    /// One value per lane, inline: the table below is updated under the lock at every schedule and slice, and
    /// arrays here cost an allocation (a copy-on-write copy) per update while other threads wait for the lock.
    private struct PerLane<Value> {
        var urgent: Value
        var solving: Value
        init(_ both: Value) { (urgent, solving) = (both, both) }
        subscript(lane: Lane) -> Value {
            get { lane == .urgent ? urgent : solving }
            set { if lane == .urgent { urgent = newValue } else { solving = newValue } }
        }
    }

    private struct Entry {
        let session: Session
        /// In the lane's queue (a session waiting in both lanes runs from the urgent one first).
        var queued = PerLane(false)
        var running = false
        /// Asked for again while running: requeue in that lane when the slice ends.
        var again = PerLane(false)
        var heavy = false
        /// Uptime (ns) when it last joined each lane: its wait there is the ready-queue stage.
        var queuedAt = PerLane<UInt64>(0)

        /// Marks the session wanted in `lane`: true when it must join that lane's queue now (not running, not
        /// queued there yet); a running one is requeued when its slice ends.
        mutating func ask(in lane: Lane, at now: UInt64) -> Bool {
            if running {
                again[lane] = true
                return false
            }
            if queued[lane] { return false }
            queued[lane] = true
            queuedAt[lane] = now
            return true
        }
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
        var governor: SolvingPriorityGovernor
    }

    private let state: Mutex<State>
    private let urgentWorkers = LaneWorkers(name: "solverd-urgent")
    /// The solving lane's threads under each priority: a thread cannot leave the idle policy without privileges, so
    /// a change of priority moves the lane's work to the other set's threads.
    private let idleSolvingWorkers = LaneWorkers(name: "solverd-solving", prepareThread: IdlePriority.enterOnThisThread)
    private let backgroundSolvingWorkers = LaneWorkers(
        name: "solverd-solving", prepareThread: IdlePriority.backgroundOnThisThread)
    private static let logger = Logger(label: "solverd.scheduler")

    /// The CPU priority of the solving lane's threads (see `spawnWorker`).
    /// The raw values are `sessions.solving_priority`'s.
    public enum SolvingPriority: String, Sendable, CaseIterable {
        /// nice 10: a fair share of the CPU against other busy processes; a waking thread may wait for a solving
        /// thread's time slice.
        case background
        /// `SCHED_IDLE`: any other thread that wakes takes the core at once; nice 10 while other processes' busy
        /// threads starve the solving (`StarvationGuard`).
        case idle
    }

    public init(
        width: Int = SessionScheduler.defaultWidth, sliceMicroseconds: Int = 1000, solvingPriority: SolvingPriority = .background,
        starvationGuard: StarvationGuard = .standard
    ) {
        self.width = max(1, width)
        self.sliceNanoseconds = UInt64(max(50, sliceMicroseconds)) * 1000
        state = Mutex(State(governor: SolvingPriorityGovernor(solvingPriority, rules: starvationGuard)))
    }

    /// Slices run so far (for metrics and tests).
    public var slicesRun: Int { state.withLock { $0.slices } }

    /// The solving lane's priority now: `idle`, or `background` (configured so, or while starved under idle).
    public var solvingPriorityNow: SolvingPriority {
        state.withLock { $0.governor.mode }
    }

    /// Times the solving lane fell back from the idle policy to nice 10 because its slices starved.
    public var solvingFallbacks: Int { state.withLock { $0.governor.fallbacks } }

    /// Sessions waiting for a worker, in both lanes.
    public var readyCount: Int { state.withLock { $0.lanes[0].count + $0.lanes[1].count } }

    /// Asks for `session` to get a solving slice soon. Cheap and idempotent; callable from any thread.
    public func schedule(_ session: Session) { schedule(session, in: .solving) }

    /// Asks for `session` to apply its ready updates and publish the frame reflecting them soon, ahead of solving.
    public func scheduleFirstFrame(_ session: Session) { schedule(session, in: .urgent) }

    private func schedule(_ session: Session, in lane: Lane) {
        let key = ObjectIdentifier(session)
        let now = DispatchTime.now().uptimeNanoseconds
        let startWorker: SolvingPriorityGovernor.Mode? = state.withLock { s in
            guard s.entries[key, default: Entry(session: session)].ask(in: lane, at: now) else { return nil }
            s.lanes[lane.rawValue].keys.append(key)
            return claimWorker(&s, lane) ? s.governor.mode : nil
        }
        if let mode = startWorker { spawnWorker(lane, solvingMode: mode) }
    }

    /// Counts a new worker for `lane` when it has fewer than `width`; true when the caller must start it.
    private func claimWorker(_ s: inout State, _ lane: Lane) -> Bool {
        guard s.lanes[lane.rawValue].workers < width else { return false }
        s.lanes[lane.rawValue].workers += 1
        return true
    }

    /// Solving workers run at a lower priority (`IdlePriority`): solving is bulk work, while the threads that answer
    /// clients must get the CPU when they want it — at user-initiated priority a durable ack waited behind other
    /// sessions' slices (ack p99 16 ms at 10,000 updates/s over 8 sessions on 2 cores; 4–7 ms after), and with
    /// solving at the default priority first frames queued behind it (p50 52 ms instead of 0.7 ms in bench-sessions
    /// at 10,000 updates/s over 1,000 sessions). At nice 10 a waking service thread may still wait for a solving
    /// thread's time slice (bench-server, 1,000 sessions at 10,000/s: update → first frame p99 2.2–5.4 ms; 0.6–1.0 ms
    /// under the idle policy, which other busy processes can starve). A thread cannot take back a higher priority
    /// without privileges, so the lanes have threads of their own (`LaneWorkers`). Urgent slices run at the default
    /// priority, the service thread's: at user-initiated (nice −2 where permitted) they preempted it, and frames and
    /// acks waited for the socket writes.
    private func spawnWorker(_ lane: Lane, solvingMode: SolvingPriorityGovernor.Mode) {
        let workers = lane == .urgent ? urgentWorkers : solvingMode == .idle ? idleSolvingWorkers : backgroundSolvingWorkers
        workers.start { [self] in workerLoop(lane, mode: solvingMode) }
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
            guard var entry = s.entries[key], entry.queued[lane] else {
                s.lanes[l].keys.swapAt(i, s.lanes[l].head)
                s.lanes[l].head += 1
                i += 1
                continue
            }
            if !entry.running, !(lane == .solving && entry.heavy && s.heavyRunning >= heavyLimit) {
                s.lanes[l].keys.swapAt(i, s.lanes[l].head)
                s.lanes[l].head += 1
                s.lanes[l].compact()
                entry.queued[lane] = false
                entry.running = true
                if lane == .solving, entry.heavy { s.heavyRunning += 1 }
                s.entries[key] = entry
                return Taken(key: key, session: entry.session, queuedAt: entry.queuedAt[lane])
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

    /// Runs `lane`'s sessions until the lane is empty. A solving worker whose priority is no longer the lane's
    /// (`mode`) hands its place to a worker at the new one.
    private func workerLoop(_ lane: Lane, mode: SolvingPriorityGovernor.Mode) {
        let l = lane.rawValue
        var successor: SolvingPriorityGovernor.Mode?
        while let taken = state.withLock({ s -> Taken? in
            if lane == .solving, s.governor.mode != mode {
                s.lanes[l].workers -= 1
                if s.lanes[l].count > 0, claimWorker(&s, lane) { successor = s.governor.mode }
                return nil
            }
            if let found = next(&s, lane) { return found }
            s.lanes[l].workers -= 1
            return nil
        }) {
            let (key, session, queuedAt) = (taken.key, taken.session, taken.queuedAt)
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = lane == .solving ? ThreadCPUClock.now() : 0
            // An urgent slice applies the updates and frames them, and takes no step.
            let deadline = lane == .urgent ? nil : start + sliceNanoseconds
            let wantsMore = session.queue.sync { session.runSlice(until: deadline, queuedAt: queuedAt) }
            let now = DispatchTime.now().uptimeNanoseconds
            let took = now - start
            let cpu = lane == .solving ? ThreadCPUClock.now() - startCPU : 0
            let closed = session.isClosed
            let (toStart, solvingMode, changed) = state.withLock { s -> (PerLane<Bool>, SolvingPriorityGovernor.Mode, SolvingPriorityGovernor.Mode?) in
                s.slices += 1
                let changed = lane == .solving ? s.governor.record(cpu: cpu, wall: took, now: now) : nil
                return (requeue(&s, key, lane: lane, took: took, wantsMore: wantsMore, closed: closed, at: now),
                        s.governor.mode, changed)
            }
            if let changed { log(changed, cpuShare: Double(cpu) / Double(max(took, 1))) }
            if toStart.urgent { spawnWorker(.urgent, solvingMode: solvingMode) }
            if toStart.solving { spawnWorker(.solving, solvingMode: solvingMode) }
        }
        if let successor { spawnWorker(.solving, solvingMode: successor) }
    }

    /// After a slice of `key`'s session in `lane`: requeues it where it is wanted again and returns the lanes that
    /// need another worker.
    private func requeue(_ s: inout State, _ key: ObjectIdentifier, lane: Lane, took: UInt64, wantsMore: Bool,
                         closed: Bool, at now: UInt64) -> PerLane<Bool> {
        guard var e = s.entries[key] else { return PerLane(false) }
        if lane == .solving {
            if e.heavy { s.heavyRunning -= 1 }
            e.heavy = took > 2 * sliceNanoseconds
        }
        e.running = false
        var wanted = e.again
        wanted.solving = wanted.solving || wantsMore
        e.again = PerLane(false)
        var toStart = PerLane(false)
        for other in Lane.both where !closed {
            if wanted[other], !e.queued[other] {
                e.queued[other] = true
                e.queuedAt[other] = now
                s.lanes[other.rawValue].keys.append(key)
            }
            // Also when it was queued while running: that lane's workers may have left meanwhile.
            if e.queued[other], claimWorker(&s, other) { toStart[other] = true }
        }
        s.entries[key] = e.queued.urgent || e.queued.solving ? e : nil
        return toStart
    }

    private func log(_ mode: SolvingPriorityGovernor.Mode, cpuShare: Double) {
        let fallbacks = solvingFallbacks
        switch mode {
        case .background:
            // The first time as a warning (the host is shared with busy processes); later ones are counted in metrics.
            Self.logger.log(level: fallbacks == 1 ? .warning : .debug,
                            "solving threads starved under the idle CPU policy; running them at nice 10 for a while",
                            metadata: ["fallbacks": "\(fallbacks)", "last_slice_cpu_share": "\(cpuShare)"])
        case .idle:
            Self.logger.debug("solving threads back under the idle CPU policy")
        }
    }
}
