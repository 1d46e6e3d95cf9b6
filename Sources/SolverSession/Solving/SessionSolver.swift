import Dispatch
import Logging
import SolverCore
import Synchronization

/// The solver state machine of one session: the live system, the running method and its fallbacks, convergence,
/// verification and the frames it publishes. Phases: solving → converged | stopped, back to solving when updates
/// arrive, → closed once.
///
/// Threading: every mutable property is confined to `queue`, the session's serial queue the scheduler runs
/// slices on (each entry point checks it with `dispatchPrecondition`). Other threads see only `published` (the
/// status as of the end of the last slice) and reach the state through `Session`, which hops onto the queue.
final class SessionSolver: @unchecked Sendable {
    let id: SessionID
    let options: SessionOptions
    let dimension: Int
    let owner: String?
    let createdAt: Double
    let hub: EventHub
    let queue: DispatchQueue
    let telemetry: SessionTelemetry
    /// Carries `session_id`.
    let logger: Logger
    /// Where accepted updates wait; the solver takes the ready ones between steps.
    let inbox: UpdateSequencer
    /// Asks the scheduler for a slice (idempotent).
    let requestSlice: @Sendable () -> Void
    /// The status as of the end of the last slice; readable from any thread.
    let published: Mutex<SessionStatus>

    // Queue-confined state.
    let system: LiveSystem
    var solver: AdaptiveSolver
    var choice: MethodChoice
    /// The rest of the hybrid plan, tried in order when the running method fails.
    var fallbacks: [MethodChoice] = []
    /// The largest predicted factor this session may build.
    let factorByteLimit: Int
    var monitor: ConvergenceMonitor
    var verification: VerificationLoop
    var swarm: SwarmState
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
    /// `memory.total` as of the last status: frames report it rather than walking the breakdown (the hub's lock
    /// included) once more per frame.
    var memoryBytesAtLastStatus = 0
    var probeRNG: SplitMix64
    /// Set when updates were applied; the next frame records the latency and clears it.
    var latencyStart: UInt64?
    var lastSlowWarning: UInt64 = 0

    /// Minimum time between two `iteration_update` frames while iterating (the first frame after an update and the
    /// last before convergence are always sent).
    static let frameInterval = 0.01

    /// Builds the live system and resolves the method, then starts the first solve. O(nnz); throws a
    /// `SolverError` naming the bad field.
    init(spec: SessionSpec, id: SessionID, hub: EventHub, inbox: UpdateSequencer, queue: DispatchQueue,
         telemetry: SessionTelemetry, swarm: SwarmState, factorByteLimit: Int, createdAt: Double,
         requestSlice: @escaping @Sendable () -> Void) throws {
        self.id = id
        self.options = spec.options
        self.owner = spec.owner
        self.createdAt = createdAt
        self.hub = hub
        self.inbox = inbox
        self.queue = queue
        self.telemetry = telemetry
        var logger = telemetry.logger
        logger[metadataKey: "session_id"] = "\(id)"
        self.logger = logger
        self.requestSlice = requestSlice
        self.factorByteLimit = factorByteLimit
        self.swarm = swarm
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
        self.lastAppliedSeq = spec.restoredState?.lastAppliedSeq ?? 0
        self.iteration = spec.restoredState?.iteration ?? 0
        self.probeRNG = SplitMix64(seed: UInt64(truncatingIfNeeded: id.rawValue.hashValue))
        self.published = Mutex(SessionStatus(
            sessionID: id, phase: .solving, rows: system.dimension, nnz: system.matrix.nnz, method: "", methodReason: "",
            reconvergenceMode: "", iteration: 0, solveIterations: 0, residualNorm: system.residualNorm,
            relativeResidual: system.relativeResidual, tolerance: spec.options.tolerance, verified: true,
            verificationScore: 1, intervalMultiplier: 1, lastAppliedSeq: 0, updatesApplied: 0, updatesRejected: 0,
            pendingUpdates: 0, subscribers: 0, memory: MemoryBreakdown(), totalFlops: 0, createdAt: createdAt, lastActivity: createdAt,
            stopReason: nil, owner: spec.owner))
        // The first solve starts on the queue, where every later step runs: starting it here would publish the
        // status while the slice it schedules may already run on a scheduler worker.
        try queue.sync { try startSolve(restart: true) }
    }

    /// `hybrid` asks `MethodPlanner` for a live plan (a factor when it pays off and fits `factorByteLimit`); other
    /// methods run as asked, the Krylov ones with Jacobi unless `options.preconditioner` names another.
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

    /// The session ended: publish `session_closed` and stop stepping.
    func close(reason: SessionCloseReason, message: String) {
        dispatchPrecondition(condition: .onQueue(queue))
        phase = .closed
        hub.publish(.sessionClosed(SessionClosed(reason: reason.rawValue, message: message)))
        publishStatus()
    }

    /// `x` (all of it, or `indices`) after every ready update was applied.
    func readSolution(indices: [Int]?) throws -> SolutionRead {
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

    /// The state between two steps, after every ready update was applied.
    func snapshot(sharedWith: Set<String>) -> SessionSnapshot {
        dispatchPrecondition(condition: .onQueue(queue))
        applyInbox()
        system.compact()
        return SessionSnapshot(id: id, owner: owner, sharedWith: sharedWith, createdAt: createdAt, options: options,
                               nextSeq: hub.nextSeq, lastAppliedSeq: lastAppliedSeq, iteration: iteration,
                               matrix: system.matrix, b: system.b, x: system.x, r: system.r, aggregator: swarm.aggregator)
    }
}
