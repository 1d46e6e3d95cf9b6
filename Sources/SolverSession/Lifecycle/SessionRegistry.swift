import Dispatch
import Foundation
import SolverCore
import Synchronization

/// Global session limits and lifetimes.
public struct SessionLimits: Sendable {
    public var maxSessions = 10_000
    /// Sum of the sessions' `memoryBytes` at most.
    public var maxMemoryBytes = 8 << 30
    /// One session's sparse factor at most, as predicted by its symbolic analysis (`factorization_too_large`).
    public var maxFactorBytes = 4 << 30
    /// A session with no request or update for this long is closed (`idle_timeout`).
    public var idleTimeout: Double = 600
    /// A session is closed this long after creation at the latest (`max_duration`, 1 h by default).
    public var maxDuration: Double = 3600
    public var subscriber = SubscriberLimits()
    public var matrix = MatrixLimits()
    public init() {}
}

/// All live sessions of this process: creation with limits, lookup, listing, and expiry.
///
/// Expiry needs no periodic timer: one one-shot timer is armed for the earliest deadline among the sessions and
/// re-armed after each sweep, so an idle service wakes only when something actually expires.
public final class SessionRegistry: Sendable {
    public let limits: SessionLimits
    public let scheduler: SessionScheduler
    public let telemetry: SessionTelemetry
    /// Durability and ownership of sessions in cluster mode; nil in the embedded default.
    public let journal: (any SessionJournal)?
    /// Distributed verification for swarm-enabled sessions (cluster mode); nil in the embedded default.
    public let swarm: (any SwarmVerifier)?

    private struct State {
        var sessions: [SessionID: Session] = [:]
        var timer: DispatchSourceTimer?
        var timerDeadline = Double.infinity
    }
    private let state = Mutex(State())
    private let timerQueue = DispatchQueue(label: "solverd.registry.expiry")

    public init(limits: SessionLimits = SessionLimits(), scheduler: SessionScheduler = SessionScheduler(),
                telemetry: SessionTelemetry = SessionTelemetry(), journal: (any SessionJournal)? = nil,
                swarm: (any SwarmVerifier)? = nil) {
        self.journal = journal
        self.swarm = swarm
        self.limits = limits
        self.scheduler = scheduler
        self.telemetry = telemetry
    }

    /// Creates and starts a session. O(nnz) for the live system: callers on latency-critical threads dispatch it.
    public func create(_ spec: SessionSpec) throws -> Session {
        NonBlockingThread.checkMayBlock("SessionRegistry.create builds a live system (O(nnz)) and may wait for the journal")
        if let id = spec.id, state.withLock({ $0.sessions[id] != nil }) {
            throw SolverError(.duplicateSession, "session id \(id) is already in use", field: "session_id")
        }
        let bytes = Self.estimatedBytes(spec)
        let used = try checkCapacity(adding: bytes)
        let id = spec.id ?? SessionID.generate()
        // A factor may use what the memory limit leaves, up to the per-session factor limit.
        let factorLimit = min(limits.maxFactorBytes, max(0, limits.maxMemoryBytes - used - bytes))
        let session = try Session(spec: spec, id: id, scheduler: scheduler, subscriberLimits: limits.subscriber, now: EventHub.now(),
                                  telemetry: telemetry, journal: journal, swarm: swarm, factorByteLimit: factorLimit)
        do { try journal?.open(session) } catch {
            session.close(reason: .refused, message: "\(error)")
            throw error
        }
        try state.withLock { s in
            guard s.sessions[id] == nil else {
                throw SolverError(.duplicateSession, "session id \(id) is already in use", field: "session_id")
            }
            guard s.sessions.count < limits.maxSessions else {
                throw SolverError(.capacityExceeded, "the service holds its maximum of \(limits.maxSessions) sessions", field: nil)
            }
            s.sessions[id] = session
        }
        scheduler.schedule(session)
        armExpiryTimer()
        return session
    }

    /// Rough bytes a spec will need once live: the matrix (12 bytes a nonzero, 8 a row) and as much again for a
    /// preconditioner or a nonsymmetric matrix's column copy, b, x, r, the frame baseline and up to six work vectors.
    static func estimatedBytes(_ spec: SessionSpec) -> Int {
        let n = spec.matrix.rows, nnz = spec.matrix.nnz
        return 2 * (nnz * 12 + n * 8) + 10 * n * 8
    }

    /// Throws when the sessions or their memory would exceed the limits; returns the bytes in use.
    @discardableResult
    private func checkCapacity(adding bytes: Int) throws -> Int {
        let (count, used) = state.withLock { s in (s.sessions.count, s.sessions.values.reduce(0) { $0 + $1.status.memoryBytes }) }
        guard count < limits.maxSessions else {
            throw SolverError(.capacityExceeded, "the service holds its maximum of \(limits.maxSessions) sessions", field: nil)
        }
        guard used + bytes <= limits.maxMemoryBytes else {
            throw SolverError(.capacityExceeded,
                              "the session needs about \(bytes >> 20) MiB; \(used >> 20) of \(limits.maxMemoryBytes >> 20) MiB are in use",
                              field: "matrix")
        }
        return used
    }

    public func session(_ id: SessionID) -> Session? { state.withLock { $0.sessions[id] } }

    /// Looks up a session or throws `session_not_found` naming `session_id`.
    public func require(_ id: SessionID) throws -> Session {
        guard let session = session(id) else {
            throw SolverError(.sessionNotFound, "no session \(id)", field: "session_id")
        }
        return session
    }

    public var all: [Session] { state.withLock { Array($0.sessions.values) }.sorted { $0.createdAt < $1.createdAt } }
    public var count: Int { state.withLock { $0.sessions.count } }
    public var memoryBytes: Int { all.reduce(0) { $0 + $1.status.memoryBytes } }

    /// Closes and forgets a session. Returns false when there was none.
    @discardableResult
    public func close(_ id: SessionID, reason: SessionCloseReason = .closedByClient, message: String = "closed on request") -> Bool {
        guard let session = state.withLock({ $0.sessions.removeValue(forKey: id) }) else { return false }
        journal?.close(id, reason: reason, session: session)
        session.close(reason: reason, message: message)
        return true
    }

    /// Closes every session (shutdown).
    public func closeAll(reason: SessionCloseReason, message: String) {
        let sessions = state.withLock { s in
            defer { s.sessions.removeAll() }
            return Array(s.sessions.values)
        }
        for session in sessions {
            journal?.close(session.id, reason: reason, session: session)
            session.close(reason: reason, message: message)
        }
    }

    /// Closes sessions past their idle timeout or maximum duration; returns what it closed. Runs from the expiry
    /// timer and may be called directly (tests).
    @discardableResult
    public func sweepExpired(now: Double = EventHub.now()) -> [(SessionID, SessionCloseReason)] {
        var expired: [(SessionID, SessionCloseReason)] = []
        for session in all {
            if now - session.createdAt >= limits.maxDuration {
                expired.append((session.id, .maxDuration))
            } else if now - session.lastActivity >= limits.idleTimeout {
                expired.append((session.id, .idleTimeout))
            }
        }
        for (id, reason) in expired {
            let message = reason == .maxDuration
                ? "the session reached its maximum duration of \(Int(limits.maxDuration)) s"
                : "no activity for \(Int(limits.idleTimeout)) s"
            close(id, reason: reason, message: message)
        }
        return expired
    }

    /// Arms the one-shot timer for the earliest deadline among live sessions.
    private func armExpiryTimer() {
        let deadline = all.map { min($0.createdAt + limits.maxDuration, $0.lastActivity + limits.idleTimeout) }.min() ?? .infinity
        state.withLock { s in
            guard deadline.isFinite, deadline < s.timerDeadline || s.timer == nil else { return }
            s.timer?.cancel()
            let timer = DispatchSource.makeTimerSource(queue: timerQueue)
            let delay = max(0.05, deadline - EventHub.now())
            timer.schedule(deadline: .now() + delay, leeway: .milliseconds(100))
            timer.setEventHandler { [weak self] in
                guard let self else { return }
                self.state.withLock { s in
                    s.timer?.cancel()
                    s.timer = nil
                    s.timerDeadline = .infinity
                }
                self.sweepExpired()
                self.armExpiryTimer()
            }
            s.timer = timer
            s.timerDeadline = deadline
            timer.resume()
        }
    }
}
