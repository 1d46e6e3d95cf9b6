import Dispatch
import SolverCore
import Synchronization

/// The inbox of a session: takes each accepted update's seq, has it journaled (cluster mode), acknowledges it when
/// the journal confirms, and hands it to the solver, in seq order, exactly once.
///
/// No I/O and no waiting happen under its lock: journal appends are issued (enqueued) in seq order and complete
/// later on the journal's thread. The lock is also never held while the solver steps, so `submit` from the service
/// thread costs a few microseconds however busy the session or slow the store is.
///
/// Order: an update's acknowledgement is handed to its callback before the update can reach the solver, so an ack
/// written there reaches the client ahead of every event reflecting the update. Callbacks run under the lock and
/// must only enqueue (write to a connection, resume a continuation).
final class UpdateSequencer: Sendable {
    typealias Acknowledge = @Sendable (Result<UInt64, SolverError>) -> Void

    /// An update whose journal append is in flight, or whose outcome waits for an earlier one to complete.
    private struct InFlight {
        let seq: UInt64
        let update: CostUpdate
        let acknowledge: Acknowledge
        /// Uptime (ns) of the submit: the journal stage runs from here to the acknowledgement.
        let submittedAt: UInt64
        var outcome: JournalOutcome?
    }

    /// An update the solver may take, and since when (uptime ns): the start of its update → frame latency.
    struct Ready {
        let seq: UInt64
        let update: CostUpdate
        let readyAt: UInt64
    }

    private struct State {
        var inFlight: [InFlight] = []
        var inFlightHead = 0
        /// Acknowledged (or replayed) updates the solver has not taken yet, in seq order.
        var ready: [Ready] = []
        var closeReason: SessionCloseReason?
    }

    private let sessionID: SessionID
    private let hub: EventHub
    private let journal: (any SessionJournal)?
    private let stages: LatencyStages
    private let state = Mutex(State())
    /// Mirrors of the state for readers that must not take the lock (status, the scheduler, expiry).
    private let pendingCount = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)
    private let activityBits: Atomic<UInt64>
    /// Runs (outside the lock) when updates became ready: asks the scheduler for a slice.
    private let onReady: @Sendable () -> Void

    init(sessionID: SessionID, hub: EventHub, journal: (any SessionJournal)?, now: Double, stages: LatencyStages,
         onReady: @escaping @Sendable () -> Void) {
        self.sessionID = sessionID
        self.stages = stages
        self.hub = hub
        self.journal = journal
        self.activityBits = Atomic(now.bitPattern)
        self.onReady = onReady
    }

    /// Updates accepted and not yet taken by the solver (journaling or ready).
    var pending: Int { pendingCount.load(ordering: .relaxed) }
    /// Whether acknowledgements wait for a journal (cluster mode).
    var isJournaled: Bool { journal != nil }
    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }
    var lastActivity: Double { Double(bitPattern: activityBits.load(ordering: .relaxed)) }
    func touch() { activityBits.store(EventHub.now().bitPattern, ordering: .relaxed) }

    /// Accepts `update` (already validated) unless the session closed: takes its seq and journals it, or, without a
    /// journal, acknowledges it at once. `acknowledge` gets the seq or the error exactly once; a refusal found here
    /// (closed) is reported on the caller's thread after the lock is released.
    func submit(_ update: CostUpdate, acknowledge: @escaping Acknowledge) {
        let (refusal, readied) = state.withLock { s -> (SolverError?, Bool) in
            if let reason = s.closeReason { return (closedError(reason), false) }
            let seq = hub.takeSeq()
            pendingCount.add(1, ordering: .relaxed)
            guard let journal else {
                acknowledge(.success(seq))
                return (nil, makeReady(&s, seq, update, at: DispatchTime.now().uptimeNanoseconds))
            }
            s.inFlight.append(InFlight(seq: seq, update: update, acknowledge: acknowledge,
                                       submittedAt: DispatchTime.now().uptimeNanoseconds))
            journal.append(sessionID: sessionID, seq: seq, update: update) { [self] outcome in completed(seq, outcome) }
            return (nil, false)
        }
        touch()
        if let refusal { acknowledge(.failure(refusal)) }
        if readied { onReady() }
    }

    /// Updates accepted and journaled by a previous owner, in increasing seq order above the restored
    /// `lastAppliedSeq`: ready at once, not journaled or acknowledged again.
    func replay(_ entries: [(seq: UInt64, update: CostUpdate)]) {
        guard !entries.isEmpty else { return }
        state.withLock { s in
            let now = DispatchTime.now().uptimeNanoseconds
            for (seq, update) in entries { _ = makeReady(&s, seq, update, at: now) }
            pendingCount.add(entries.count, ordering: .relaxed)
        }
        touch()
        onReady()
    }

    /// Takes every ready update (the solver's side), in seq order.
    func takeReady() -> [Ready] {
        state.withLock { s in
            defer { s.ready.removeAll(keepingCapacity: true) }
            pendingCount.subtract(s.ready.count, ordering: .relaxed)
            return s.ready
        }
    }

    var hasReady: Bool { state.withLock { !$0.ready.isEmpty } }

    /// Refuses every later update; returns false when it was closed already. In-flight appends still complete.
    func close(_ reason: SessionCloseReason) -> Bool {
        state.withLock { s in
            guard s.closeReason == nil else { return false }
            s.closeReason = reason
            closedFlag.store(true, ordering: .releasing)
            return true
        }
    }

    /// A journal outcome (the journal's thread): releases every leading update whose outcome is known, in order.
    private func completed(_ seq: UInt64, _ outcome: JournalOutcome) {
        let readied = state.withLock { s -> Bool in
            guard let k = s.inFlight[s.inFlightHead...].firstIndex(where: { $0.seq == seq }) else { return false }
            s.inFlight[k].outcome = outcome
            var readied = false
            let now = DispatchTime.now().uptimeNanoseconds
            while s.inFlightHead < s.inFlight.count, let outcome = s.inFlight[s.inFlightHead].outcome {
                let entry = s.inFlight[s.inFlightHead]
                s.inFlightHead += 1
                switch outcome {
                case .durable:
                    entry.acknowledge(.success(entry.seq))
                    stages.record(.journal, from: entry.submittedAt, to: now)
                    readied = makeReady(&s, entry.seq, entry.update, at: now) || readied
                case .unconfirmed(let error):
                    entry.acknowledge(.failure(error))
                    stages.record(.journal, from: entry.submittedAt, to: now)
                    readied = makeReady(&s, entry.seq, entry.update, at: now) || readied
                case .refused(let error):
                    pendingCount.subtract(1, ordering: .relaxed)
                    entry.acknowledge(.failure(error))
                }
            }
            if s.inFlightHead == s.inFlight.count {
                s.inFlight.removeAll(keepingCapacity: true)
                s.inFlightHead = 0
            }
            return readied
        }
        if readied { onReady() }
    }

    /// Appends to `ready`; true when the solver should be woken (a closed session applies nothing).
    private func makeReady(_ s: inout State, _ seq: UInt64, _ update: CostUpdate, at now: UInt64) -> Bool {
        s.ready.append(Ready(seq: seq, update: update, readyAt: now))
        return s.closeReason == nil
    }

    /// In cluster mode a session that moved has not ended: an update sent to this copy is refused as not durable,
    /// to be retried where the session lives now; any other close is final (410).
    private func closedError(_ reason: SessionCloseReason) -> SolverError {
        if journal != nil, reason.isHandover {
            return SolverError(.updateNotDurable, "session \(sessionID) moved to another node; the update was not accepted — retry",
                               field: "session_id")
        }
        return SolverError(.sessionClosed, "session \(sessionID) has ended", field: "session_id")
    }
}
