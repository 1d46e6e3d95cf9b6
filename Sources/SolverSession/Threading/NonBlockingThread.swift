import Glibc
import Logging
import Synchronization

/// Threads that must never wait — the lws service thread, which serves every client of the node — and the check
/// that calls which may wait (a Redis round trip, a lock held across I/O, another thread's solver slice) are not
/// made on one.
///
/// A thread marks itself once with `markCurrentThread`; code that may block calls `checkMayBlock` first. On a
/// marked thread that is a bug that turns any slow dependency into a node-wide stall, so it fails loudly: debug
/// builds (and the tests, which run them) trap; release builds log an error and count it (`violations`) — a
/// release service keeps serving rather than crash on a latency bug. Tests may mark a thread with their own reaction.
public enum NonBlockingThread {
    /// What a marked thread carries: how it reports a violation (nil: the default reaction).
    private final class Marker: Sendable {
        let report: (@Sendable (String) -> Void)?
        init(_ report: (@Sendable (String) -> Void)?) { self.report = report }
    }

    // One key per process; the value is the thread's retained `Marker` on marked threads.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()
    private static let violationCount = Atomic<Int>(0)
    private static let logger = Logger(label: "solverd.nonblocking")

    /// Marks the calling thread as one that must never wait. `report` replaces the default reaction on this thread
    /// only (tests record violations with it without affecting any other thread).
    public static func markCurrentThread(reportingTo report: (@Sendable (String) -> Void)? = nil) {
        // Retained for the thread's life (marked threads are few and long-lived: the lws service thread).
        pthread_setspecific(key, Unmanaged.passRetained(Marker(report)).toOpaque())
    }

    /// Whether the calling thread was marked.
    public static var isMarked: Bool { pthread_getspecific(key) != nil }

    /// Blocking calls found on marked threads so far (release builds; debug builds trap at the first).
    public static var violations: Int { violationCount.load(ordering: .relaxed) }

    /// Call before anything that may wait on another thread or on I/O. `what` names it for the failure message.
    @inline(__always)
    public static func checkMayBlock(_ what: @autoclosure () -> String) {
        guard let raw = pthread_getspecific(key) else { return }
        report(what(), marker: Unmanaged<Marker>.fromOpaque(raw).takeUnretainedValue())
    }

    private static func report(_ what: String, marker: Marker) {
        violationCount.add(1, ordering: .relaxed)
        if let custom = marker.report { return custom(what) }
        #if DEBUG
        preconditionFailure("blocking call on a thread that must never wait: \(what)")
        #else
        logger.error("blocking call on a thread that must never wait", metadata: ["call": "\(what)"])
        #endif
    }
}
