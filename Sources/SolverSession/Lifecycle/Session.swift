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

/// One live system and everything around it: the solver state, queued updates, verification, subscribers.
///
/// Threading: solver state (`system`, `solver`, counters: the `Solving` part) is touched only on `queue`, a serial
/// queue the scheduler runs slices on (`dispatchPrecondition` guards it). `submit`, `status`, `subscribe` may be
/// called from any thread: they go through the `inbox` and `published` locks and the `EventHub`.
public final class Session: @unchecked Sendable {
    public let id: SessionID
    public let options: SessionOptions
    public let dimension: Int
    public let createdAt: Double
    public let owner: String?
    public let sharedWith: Set<String>
    public let hub: EventHub
    let queue: DispatchQueue
    let scheduler: SessionScheduler
    let telemetry: SessionTelemetry
    /// Makes accepted updates durable before their ack (cluster mode); nil in the embedded default.
    let journal: (any SessionJournal)?
    /// Votes on probe tasks when `options.swarmEnabled` (cluster mode); nil otherwise.
    let swarm: (any SwarmVerifier)?
    /// Carries `session_id`.
    let logger: Logger

    /// Updates accepted but not applied yet, in seq order, plus cross-thread flags.
    struct Inbox {
        var updates: [(seq: UInt64, update: CostUpdate)] = []
        var closed = false
        /// Why it closed: `migrated` and `shutdown` mean the session lives on elsewhere (cluster mode).
        var closeReason: String?
        var lastActivity: Double
        /// Uptime (ns) when the oldest unapplied update arrived: the start of the update → event latency.
        var firstQueuedAt: UInt64?
    }
    let inbox: Mutex<Inbox>
    let published: Mutex<SessionStatus>

    // Queue-confined solver state.
    let system: LiveSystem
    var solver: AdaptiveSolver
    var choice: MethodChoice
    /// The rest of the hybrid plan, tried in order when the running method fails.
    var fallbacks: [MethodChoice] = []
    /// The largest predicted factor this session may build.
    let factorByteLimit: Int
    var monitor: ConvergenceMonitor
    var verification: VerificationLoop
    var phase: SessionPhase = .solving
    var stopReason: String?
    var iteration = 0
    var belowThreshold = 0
    var lastAppliedSeq: UInt64 = 0
    var updatesApplied = 0
    var updatesRejected = 0
    var totalFlops = 0
    var pendingFirstFrame = true
    var lastFrameTime = -Double.infinity
    var xAtLastFrame: [Double] = []
    var correctionsThisSolve = 0
    /// Local re-convergences since the last global solve ended (or restart): sets each one's share of the headroom.
    var localSolvesSinceGlobal = 0
    var recentNorms: [Double] = []
    var probeRNG: SplitMix64
    /// Every node's latest swarm `cost_report` per entry of `b`.
    var aggregator: CostAggregator
    var swarmRounds = SwarmRounds()
    /// Set when updates were applied; the next frame records the latency and clears it.
    var latencyStart: UInt64?
    var lastSlowWarning: UInt64 = 0

    /// Minimum time between two `iteration_update` frames while iterating (the first frame after an update and the
    /// last before convergence are always sent).
    static let frameInterval = 0.01

    /// Builds the live system and resolves the method. O(nnz); throws a `SolverError` naming the bad field.
    init(spec: SessionSpec, id: SessionID, scheduler: SessionScheduler, subscriberLimits: SubscriberLimits, now: Double,
         telemetry: SessionTelemetry = SessionTelemetry(), journal: (any SessionJournal)? = nil,
         swarm: (any SwarmVerifier)? = nil, factorByteLimit: Int = SparseFactorizations.defaultByteLimit) throws {
        try spec.options.validate()
        self.factorByteLimit = factorByteLimit
        self.telemetry = telemetry
        self.journal = journal
        self.swarm = spec.options.swarmEnabled ? swarm : nil
        self.aggregator = spec.restoredState?.aggregator ?? CostAggregator()
        var logger = telemetry.logger
        logger[metadataKey: "session_id"] = "\(id)"
        self.logger = logger
        self.id = id
        self.options = spec.options
        self.owner = spec.owner
        self.sharedWith = spec.sharedWith
        self.createdAt = spec.restoredState?.createdAt ?? now
        self.scheduler = scheduler
        self.system = try LiveSystem(matrix: spec.matrix, b: spec.rightHandSide, x0: spec.initialGuess)
        self.dimension = system.dimension
        let plan = try Self.resolveMethod(options: spec.options, system: system, factorByteLimit: factorByteLimit)
        self.choice = plan.choices[0]
        self.fallbacks = Array(plan.choices.dropFirst())
        self.solver = AdaptiveSolver(global: try Self.makeMethod(plan.choices[0], options: spec.options,
                                                                 factorByteLimit: factorByteLimit,
                                                                 analysis: plan.analysis(for: plan.choices[0])))
        if let properties = plan.properties { solver.observe(properties) }
        self.monitor = ConvergenceMonitor(targetNorm: 0, maxIterations: spec.options.maxIterations)
        self.verification = VerificationLoop(interval: spec.options.verificationInterval, probeCount: spec.options.probeCount)
        self.hub = EventHub(sessionID: id, limits: subscriberLimits, firstSeq: spec.restoredState?.nextSeq ?? 1)
        self.lastAppliedSeq = spec.restoredState?.lastAppliedSeq ?? 0
        self.iteration = spec.restoredState?.iteration ?? 0
        self.queue = DispatchQueue(label: "solverd.session.\(id.rawValue)")
        self.inbox = Mutex(Inbox(lastActivity: now))
        self.probeRNG = SplitMix64(seed: UInt64(truncatingIfNeeded: id.rawValue.hashValue))
        self.published = Mutex(SessionStatus(
            sessionID: id, phase: .solving, rows: system.dimension, nnz: system.matrix.nnz, method: "", methodReason: "",
            reconvergenceMode: "", iteration: 0, solveIterations: 0, residualNorm: system.residualNorm,
            relativeResidual: system.relativeResidual, tolerance: spec.options.tolerance, verified: true,
            verificationScore: 1, intervalMultiplier: 1, lastAppliedSeq: 0, updatesApplied: 0, updatesRejected: 0,
            pendingUpdates: 0, subscribers: 0, memoryBytes: 0, totalFlops: 0, createdAt: now, lastActivity: now,
            stopReason: nil, owner: spec.owner))
        self.published.withLock { $0.createdAt = createdAt }
        // startSolve publishes the status itself, before it schedules the first slice: publishing again here
        // would read the solver state while that slice already runs on a scheduler worker (a TSan-reported race).
        try startSolve(restart: true)
    }

    /// `hybrid` asks `MethodPlanner` for a live plan (a factor when it pays off and fits `factorByteLimit`); other
    /// methods run as asked with the plan's default preconditioner (jacobi).
    static func resolveMethod(options: SessionOptions, system: LiveSystem, factorByteLimit: Int) throws -> MethodPlan {
        switch options.method {
        case .hybrid:
            return MethodPlanner.plan(for: system, purpose: .live, tolerance: options.tolerance, byteLimit: factorByteLimit)
        case .randomWalk:
            throw SolverError(.unsupportedMethod,
                              "random_walk estimates single coordinates and cannot keep a whole solution live; create the session with another method and ask for estimates",
                              field: "method")
        case let kind:
            let preconditioned: Set<MethodKind> = [.cg, .bicgstab, .minres, .gmres]
            let preconditioner = options.preconditioner ?? (preconditioned.contains(kind) ? .jacobi : .none)
            let choice = MethodChoice(kind: kind, preconditioner: preconditioner, reason: "requested by the client")
            guard let factorization = kind.factorization else {
                return MethodPlan(choices: [choice])
            }
            // Analysed now, so a factor over the limit is refused when the session is created (413).
            let analysis = try SparseFactorizations.analyze(system.matrix, kind: factorization, byteLimit: factorByteLimit)
            return MethodPlan(choices: [choice], analyses: [factorization: analysis])
        }
    }

    static func makeMethod(_ choice: MethodChoice, options: SessionOptions, factorByteLimit: Int,
                           analysis: (any SparseFactorization)? = nil) throws -> any IterativeMethod {
        try MethodFactory.makeMethod(kind: choice.kind, preconditioner: choice.preconditioner,
                                     options: MethodOptions(relaxation: options.relaxation, factorByteLimit: factorByteLimit),
                                     analysis: analysis)
    }

    // MARK: Any thread

    /// Queues an update; returns its sequence number, the acknowledgement. Validation that does not depend on live
    /// values happens here (so a bad update is refused, never half-applied); `old_value` is checked when applied, and
    /// a mismatch is published as `update_rejected` with this seq.
    ///
    /// `acknowledge` runs with the seq before the update can be applied, so an ack written there reaches the client
    /// ahead of every event that reflects the update. It runs under the inbox lock: it must only enqueue.
    public func submit(_ update: CostUpdate, acknowledge: ((UInt64) -> Void)? = nil) throws -> UInt64 {
        try update.validate(dimension: dimension)
        let seq: UInt64 = try inbox.withLock { box in
            guard !box.closed else { throw closedError(reason: box.closeReason) }
            let seq = hub.takeSeq()
            if let journal { try Self.journal(update, seq: seq, session: id, to: journal) }
            acknowledge?(seq)
            box.updates.append((seq, update))
            if box.firstQueuedAt == nil { box.firstQueuedAt = DispatchTime.now().uptimeNanoseconds }
            box.lastActivity = EventHub.now()
            return seq
        }
        scheduler.schedule(self)
        return seq
    }

    /// The latest published status (consistent as of the end of the last slice).
    public var status: SessionStatus {
        var s = published.withLock { $0 }
        s.subscribers = hub.subscriberCount
        s.pendingUpdates = inbox.withLock { $0.updates.count }
        return s
    }

    public var lastActivity: Double { inbox.withLock { $0.lastActivity } }

    func touch() { inbox.withLock { $0.lastActivity = EventHub.now() } }

    public var isClosed: Bool { inbox.withLock { $0.closed } }

    /// Whether the principal named `name` may use the session: it has no owner (an open server), is its owner, or
    /// it was shared with it. Roles (admin) are the server's business.
    public func mayBeUsed(by name: String) -> Bool { owner == nil || owner == name || sharedWith.contains(name) }

    /// Reads `x` (all of it, or `indices`) between two steps, after every update queued before the call was applied.
    public func readSolution(indices: [Int]? = nil, completion: @escaping @Sendable (Result<SolutionRead, SolverError>) -> Void) {
        touch()
        queue.async { [self] in
            completion(Result { try readSolutionOnQueue(indices: indices) }.mapError { $0 as? SolverError ?? SolverError(.internal, "\($0)") })
        }
    }

    /// Blocking form of `readSolution` (tests, CLI). Never call it from a session queue.
    public func readSolution(indices: [Int]? = nil) throws -> SolutionRead {
        touch()
        return try queue.sync { try readSolutionOnQueue(indices: indices) }
    }

    private func readSolutionOnQueue(indices: [Int]?) throws -> SolutionRead {
        dispatchPrecondition(condition: .onQueue(queue))
        applyInbox()
        let values: [Double]
        if let indices {
            for (k, i) in indices.enumerated() where i < 0 || i >= dimension {
                throw SolverError(.indexOutOfRange, "index \(i) is outside 0..<\(dimension)", field: "indices[\(k)]")
            }
            values = indices.map { system.x[$0] }
        } else {
            values = system.x
        }
        return SolutionRead(indices: indices, values: values, lastAppliedSeq: lastAppliedSeq, iteration: iteration,
                            residualNorm: system.residualNorm, relativeResidual: system.relativeResidual, phase: phase)
    }

    /// Runs a verification now (`POST /verify`): probes `indices` or `probeCount` random rows. A swarm-enabled
    /// session in cluster mode answers with the swarm round's result (its votes) instead of its own.
    public func verify(probeCount: Int? = nil, indices: [Int]? = nil,
                       completion: @escaping @Sendable (Result<VerificationResult, SolverError>) -> Void) {
        touch()
        queue.async { [self] in
            do {
                _ = try runVerification(trigger: "request", probeCount: probeCount, indices: indices,
                                        answer: { completion(.success($0)) })
            } catch {
                completion(.failure(error as? SolverError ?? SolverError(.internal, "\(error)")))
            }
        }
    }

    /// Blocking form of `verify`.
    public func verify(probeCount: Int? = nil, indices: [Int]? = nil) throws -> VerificationResult {
        touch()
        return try queue.sync { try runVerification(trigger: "request", probeCount: probeCount, indices: indices) }
    }

    /// Ends the session: publishes `session_closed` with `reason` and stops scheduling it. Idempotent.
    public func close(reason: String, message: String) {
        let first = inbox.withLock { box in
            defer { box.closed = true }
            if !box.closed { box.closeReason = reason }
            return !box.closed
        }
        guard first else { return }
        queue.async { [self] in
            phase = .closed
            hub.publish(.sessionClosed(SessionClosed(reason: reason, message: message)))
            publishStatus()
        }
    }
}

extension Session {
    /// In cluster mode a session that moved (lease lost, hand-over) has not ended: an update sent to this copy is
    /// refused as not durable, to be retried where the session lives now; any other close is final (410).
    func closedError(reason: String?) -> SolverError {
        if journal != nil, reason == "migrated" || reason == "shutdown" {
            return SolverError(.updateNotDurable, "session \(id) moved to another node; the update was not accepted — retry", field: "session_id")
        }
        return SolverError(.sessionClosed, "session \(id) has ended", field: "session_id")
    }
}
