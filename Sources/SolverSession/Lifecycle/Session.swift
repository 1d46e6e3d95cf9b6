import Dispatch
import Foundation
import Logging
import SolverCore
import Synchronization

/// What a client asks for when it creates a session.
public struct SessionSpec: Sendable {
    public var id: SessionID?
    public var matrix: CSRMatrix
    public var rightHandSide: [Double]
    public var initialGuess: [Double]?
    public var options: SessionOptions
    /// The principal that created the session (authorization is the server's business; kept here for status).
    public var owner: String?
    /// Principals besides the owner that may use the session (`share`); kept in snapshots, so a session that moves
    /// to another node keeps them.
    public var sharedWith: Set<String> = []
    /// Set when the session is restored from a snapshot.
    public var restoredState: RestoredState?

    public init(id: SessionID? = nil, matrix: CSRMatrix, rightHandSide: [Double], initialGuess: [Double]? = nil,
                options: SessionOptions = SessionOptions(), owner: String? = nil) {
        self.id = id
        self.matrix = matrix
        self.rightHandSide = rightHandSide
        self.initialGuess = initialGuess
        self.options = options
        self.owner = owner
    }
}

/// One live system as the rest of the service sees it: identity and access, the inbox (`UpdateSequencer`), the
/// solver state machine (`SessionSolver`, confined to `queue`) and the event hub.
///
/// Threading: every method may be called from any thread and none waits, except the blocking conveniences marked
/// as such (tests, CLI, benchmarks), which refuse to run on a thread that must never wait (`NonBlockingThread`).
/// `submit` touches only the inbox's lock; `status` reads a published snapshot and atomics; reads and verification
/// hop onto `queue` and answer through their completion.
public final class Session: Sendable {
    public let id: SessionID
    public let options: SessionOptions
    public let dimension: Int
    public let createdAt: Double
    public let owner: String?
    public let sharedWith: Set<String>
    public let hub: EventHub
    /// The serial queue the scheduler runs this session's slices on; the solver state lives there.
    let queue: DispatchQueue
    let inbox: UpdateSequencer
    let solver: SessionSolver

    /// Builds the live system and resolves the method. O(nnz); throws a `SolverError` naming the bad field.
    init(spec: SessionSpec, id: SessionID, scheduler: SessionScheduler, subscriberLimits: SubscriberLimits, now: Double,
         telemetry: SessionTelemetry = SessionTelemetry(), journal: (any SessionJournal)? = nil,
         swarm: (any SwarmVerifier)? = nil, factorByteLimit: Int = SparseFactorizations.defaultByteLimit) throws {
        try spec.options.validate()
        self.id = id
        self.options = spec.options
        self.owner = spec.owner
        self.sharedWith = spec.sharedWith
        self.createdAt = spec.restoredState?.createdAt ?? now
        let hub = EventHub(sessionID: id, limits: subscriberLimits, firstSeq: spec.restoredState?.nextSeq ?? 1,
                           stages: telemetry.stages)
        self.hub = hub
        let queue = DispatchQueue(label: "solverd.session.\(id.rawValue)")
        self.queue = queue
        // The session is not built yet when these closures are made; once it is, they reach it weakly.
        let slot = WeakSessionSlot()
        let requestSlice: @Sendable () -> Void = { [scheduler] in slot.session.map(scheduler.schedule) }
        let requestFirstFrame: @Sendable () -> Void = { [scheduler] in slot.session.map(scheduler.scheduleFirstFrame) }
        self.inbox = UpdateSequencer(sessionID: id, hub: hub, journal: journal, now: now,
                                    stages: telemetry.stages, onReady: requestFirstFrame)
        self.solver = try SessionSolver(
            spec: spec, id: id, hub: hub, inbox: inbox, queue: queue, telemetry: telemetry,
            swarm: SwarmState(aggregator: spec.restoredState?.aggregator ?? CostAggregator(),
                              verifier: spec.options.swarmEnabled ? swarm : nil),
            factorByteLimit: factorByteLimit, createdAt: createdAt, requestSlice: requestSlice)
        self.dimension = solver.dimension
        slot.set(self)
    }

    // MARK: Updates

    /// Queues an update. `completion` gets its seq — the acknowledgement, durable in cluster mode — or why it was
    /// refused, exactly once and without the caller waiting: at once when refused here or when there is no journal,
    /// otherwise from the journal's thread when the append completes. It runs before the update can be applied, so
    /// an ack written there reaches the client ahead of every event reflecting it; it must only enqueue.
    ///
    /// Validation that does not depend on live values happens here (a bad update is refused, never half-applied);
    /// `old_value` is checked when applied, and a mismatch is published as `update_rejected` with this seq.
    public func submit(_ update: CostUpdate, completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        do {
            try update.validate(dimension: dimension)
        } catch {
            return completion(.failure(error as? SolverError ?? SolverError(.internal, "\(error)")))
        }
        inbox.submit(update, acknowledge: completion)
    }

    /// Blocking form of `submit` (tests, CLI, benchmarks): returns the seq once acknowledged. `acknowledge` runs
    /// with it first, before the update can be applied. Waits for the journal in cluster mode.
    @discardableResult
    public func submit(_ update: CostUpdate, acknowledge: (@Sendable (UInt64) -> Void)? = nil) throws -> UInt64 {
        if inbox.isJournaled { NonBlockingThread.checkMayBlock("a blocking submit waits for the journal") }
        let outcome = HandOver<Result<UInt64, SolverError>>()
        submit(update) { result in
            if case .success(let seq) = result { acknowledge?(seq) }
            outcome.set(result)
        }
        return try outcome.wait().get()
    }

    /// Queues updates that were already accepted and journaled (by a previous owner) under their original seqs,
    /// without journaling or acknowledging them again. Entries must come in increasing seq order and above the
    /// restored `lastAppliedSeq`; the hub must already continue beyond the largest (see `RestoredState.nextSeq`).
    public func replay(_ entries: [(seq: UInt64, update: CostUpdate)]) { inbox.replay(entries) }

    // MARK: Reads

    /// The latest published status (consistent as of the end of the last slice). Never waits.
    public var status: SessionStatus {
        var s = solver.published.withLock { $0 }
        s.subscribers = hub.subscriberCount
        s.pendingUpdates = inbox.pending
        s.lastActivity = inbox.lastActivity
        return s
    }

    public var lastActivity: Double { inbox.lastActivity }
    public var isClosed: Bool { inbox.isClosed }
    func touch() { inbox.touch() }

    /// Whether the principal named `name` may use the session: it has no owner (an open server), is its owner, or
    /// it was shared with it. Roles (admin) are the server's business.
    public func mayBeUsed(by name: String) -> Bool { owner == nil || owner == name || sharedWith.contains(name) }

    /// Reads `x` (all of it, or `indices`) between two steps, after every update acknowledged before the call.
    public func readSolution(indices: [Int]? = nil, completion: @escaping @Sendable (Result<SolutionRead, SolverError>) -> Void) {
        onQueue(completion) { try $0.readSolution(indices: indices) }
    }

    /// Blocking form of `readSolution` (tests, CLI). Never call it from a session queue.
    public func readSolution(indices: [Int]? = nil) throws -> SolutionRead {
        try blocking("a solution read") { readSolution(indices: indices, completion: $0) }
    }

    /// Runs a verification now (`POST /verify`): probes `indices` or `probeCount` random rows. A swarm-enabled
    /// session in cluster mode answers with the swarm round's result (its votes) instead of its own.
    public func verify(probeCount: Int? = nil, indices: [Int]? = nil,
                       completion: @escaping @Sendable (Result<VerificationResult, SolverError>) -> Void) {
        touch()
        queue.async { [solver] in
            do {
                _ = try solver.runVerification(trigger: "request", probeCount: probeCount, indices: indices,
                                               answer: { completion(.success($0)) })
            } catch {
                completion(.failure(error as? SolverError ?? SolverError(.internal, "\(error)")))
            }
        }
    }

    /// Blocking form of `verify`.
    public func verify(probeCount: Int? = nil, indices: [Int]? = nil) throws -> VerificationResult {
        try blocking("a verification") { verify(probeCount: probeCount, indices: indices, completion: $0) }
    }

    /// Captures the state between two steps, after applying every ready update. Waits for the running slice.
    public func snapshot() -> SessionSnapshot {
        NonBlockingThread.checkMayBlock("Session.snapshot waits for the session's slice")
        return queue.sync { solver.snapshot(sharedWith: sharedWith) }
    }

    // MARK: Lifecycle

    /// Ends the session: refuses further updates, publishes `session_closed` with `reason` and stops scheduling it.
    /// Idempotent.
    public func close(reason: SessionCloseReason, message: String) {
        guard inbox.close(reason) else { return }
        queue.async { [solver] in solver.close(reason: reason, message: message) }
    }

    /// One scheduler slice (on `queue`), the session having waited in its lane since `queuedAt` (uptime ns): ready
    /// updates and their frame first, then steps until `deadline`; without one (the urgent lane) no step. True when
    /// the session wants another.
    func runSlice(until deadline: UInt64?, queuedAt: UInt64) -> Bool {
        solver.telemetry.stages.record(deadline == nil ? .readyQueue : .solvingQueue, from: queuedAt,
                                       to: DispatchTime.now().uptimeNanoseconds)
        return solver.runSlice(until: deadline)
    }

    private func onQueue<T: Sendable>(_ completion: @escaping @Sendable (Result<T, SolverError>) -> Void,
                                      _ body: @escaping @Sendable (SessionSolver) throws -> T) {
        touch()
        queue.async { [solver] in
            completion(Result { try body(solver) }.mapError { $0 as? SolverError ?? SolverError(.internal, "\($0)") })
        }
    }

    private func blocking<T: Sendable>(_ what: String, _ start: (@escaping @Sendable (Result<T, SolverError>) -> Void) -> Void) throws -> T {
        // Checked whether or not this call happens to wait: it waits for another thread's slice whenever one runs.
        NonBlockingThread.checkMayBlock("waiting for \(what) of a session")
        let outcome = HandOver<Result<T, SolverError>>()
        start { outcome.set($0) }
        return try outcome.wait().get()
    }
}

/// The session a closure made during its init reaches once the session exists.
private final class WeakSessionSlot: Sendable {
    private let box = Mutex<Weak>(Weak())
    private struct Weak { weak var session: Session? }
    var session: Session? { box.withLock { $0.session } }
    func set(_ session: Session) { box.withLock { $0.session = session } }
}
