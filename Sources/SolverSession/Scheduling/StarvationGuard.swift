#if canImport(Glibc)
import Glibc
#endif
import SolverCore

/// Watches what share of the CPU the solving lane's slices get under the idle policy, and moves the lane to nice 10
/// while it starves.
///
/// `SCHED_IDLE` threads run only when nothing else wants the core: against one busy normal-priority thread of
/// another process in the same cgroup (a compile, a second service) they get well under 1 % of it, and a solve that
/// needs 20 ms of CPU took seconds (a CI run's solve timed out that way). A slice runs until a wall-clock deadline,
/// so its CPU time against its wall time is the share it got: when that share, summed over the lane's slices for a
/// window, falls below `minimumShare`, the lane runs at nice 10 (a fair share against such load) for `hold`, then
/// tries the idle policy again. The lane's own service, urgent and journal threads preempt it in short bursts only:
/// under bench-server's load (1,000 sessions, 10,000 updates/s, the load generator on the same 2 cores) slices keep
/// most of their time.
public struct StarvationGuard: Sendable, Equatable {
    /// Below this share of their wall time in CPU time, slices are starved.
    public var minimumShare: Double
    /// Slices' wall time summed (over all solving threads) before the share is judged.
    public var window: Duration
    /// How long the lane stays at nice 10 before it tries the idle policy again.
    public var hold: Duration

    public init(minimumShare: Double, window: Duration, hold: Duration) {
        self.minimumShare = minimumShare
        self.window = window
        self.hold = hold
    }

    public static let standard = StarvationGuard(minimumShare: 0.2, window: .milliseconds(200), hold: .seconds(10))
    /// Never leaves the idle policy (tests of the policy itself).
    public static let off = StarvationGuard(minimumShare: 0, window: .seconds(3600), hold: .zero)
}

/// The solving lane's current CPU priority, decided from its slices' CPU shares (see `StarvationGuard`).
struct SolvingPriorityGovernor {
    typealias Mode = SessionScheduler.SolvingPriority

    let configured: Mode
    let rules: StarvationGuard
    private(set) var mode: Mode
    /// Times the lane fell back from the idle policy.
    private(set) var fallbacks = 0
    private var cpuNanoseconds: UInt64 = 0
    private var wallNanoseconds: UInt64 = 0
    private var backgroundUntil: UInt64 = 0

    init(_ configured: Mode, rules: StarvationGuard) {
        self.configured = configured
        self.rules = rules
        mode = configured
    }

    /// Counts one solving slice (its thread's CPU time and its wall time, ns) ending at uptime `now`; returns the
    /// new mode when it changes.
    mutating func record(cpu: UInt64, wall: UInt64, now: UInt64) -> Mode? {
        guard configured == .idle else { return nil }
        switch mode {
        case .background:
            guard now >= backgroundUntil else { return nil }
            mode = .idle
            (cpuNanoseconds, wallNanoseconds) = (0, 0)
            return .idle
        case .idle:
            cpuNanoseconds += min(cpu, wall)
            wallNanoseconds += wall
            guard wallNanoseconds >= UInt64(max(0, rules.window.nanoseconds)) else { return nil }
            let share = Double(cpuNanoseconds) / Double(wallNanoseconds)
            (cpuNanoseconds, wallNanoseconds) = (0, 0)
            guard share < rules.minimumShare else { return nil }
            mode = .background
            fallbacks += 1
            backgroundUntil = now + UInt64(max(0, rules.hold.nanoseconds))
            return .background
        }
    }
}

/// CPU time the calling thread has used, in nanoseconds.
enum ThreadCPUClock {
    static func now() -> UInt64 {
        #if os(Linux)
        var t = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0 else { return 0 }
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        #else
        return 0
        #endif
    }
}
