#if canImport(Glibc)
import Glibc
#endif

/// The lowest CPU priority a thread can take: Linux's `SCHED_IDLE` policy. Such a thread runs when nothing else
/// wants the core, and any other thread that wakes takes the core from it at once; at nice 10 a waking thread can
/// still wait for the running one's time slice. Where the policy cannot be set, nice 10 instead.
enum IdlePriority {
    /// `SCHED_IDLE` (5 on Linux; Glibc only names it for _GNU_SOURCE).
    private static let idlePolicy: Int32 = 5

    /// Puts the calling thread under the idle policy for the rest of its life (there is no way back without
    /// privileges: only use it on a thread of one's own).
    static func enterOnThisThread() {
        #if os(Linux)
        var parameters = sched_param()
        if sched_setscheduler(0, idlePolicy, &parameters) == 0 { return }
        #endif
        backgroundOnThisThread()
    }

    /// nice 10 for the calling thread (what Dispatch's background priority gives).
    static func backgroundOnThisThread() {
        #if os(Linux)
        // setpriority's "process" 0 is the calling thread on Linux.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    /// Whether the calling thread runs under the idle policy (for tests).
    static var isActiveOnThisThread: Bool {
        #if os(Linux)
        return sched_getscheduler(0) == idlePolicy
        #else
        return false
        #endif
    }
}
