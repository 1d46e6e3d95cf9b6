/// Keeps a live system converged across updates by the cheapest exact path it can predict: local push from the
/// changed rows (cost follows the change), the session's factor (one solve; after a change of `A` a low-rank
/// correction or a refactorisation first), or the global iterative method warm-started from the current `x`.
/// Predictions come from `ReconvergenceCosts` and are corrected by what each path measurably cost in this session;
/// push runs with the predicted cost of the global path as its budget, so a wrong guess costs at most twice the
/// better path. Reports which mode runs and why.
public final class AdaptiveSolver: IterativeMethod {
    public enum Mode: String, Sendable {
        /// Forward push from the rows the updates touched.
        case localPush = "local_push"
        /// The global iterative method, warm-started from the current iterate.
        case globalWarmStart = "global_warm_start"
        /// A solve with the cached factor (refinement after it when needed).
        case factorResolve = "factor_resolve"
        /// The cached factor with a Sherman–Morrison–Woodbury correction for changed rows of `A`.
        case lowRankUpdate = "low_rank_update"
        /// A numeric refactorisation (or a new analysis for a new pattern), then solves.
        case refactor
    }

    public let global: any IterativeMethod
    private let local: ForwardPush
    public private(set) var mode: Mode = .globalWarmStart
    public private(set) var modeReason = "initial solve"
    private var localWorkLeft = 0
    private var globalNeedsRestart = true
    private var costs = ReconvergenceCosts()
    /// What the current push run was predicted to touch, and when it started, to learn from it.
    private var pushPrediction = 0.0
    private var pushStarted = ContinuousClock.now
    private var globalSolveOpen = false
    /// The matrix facts the push cost model was last fed (recomputed at a restart only when `A` changed since).
    private var observed: MatrixProperties?

    /// True while the residual is exactly `b − A x` as last computed by a factor's solve (which recomputes it after
    /// every solve): no update, push or iterative step changed it since, so a probe could find no drift.
    public private(set) var residualIsExact = false

    public var name: String { mode == .localPush ? "push" : global.name }
    private var direct: DirectSolver? { global as? DirectSolver }

    /// Local push does nothing more once ‖r‖ is at or below this (set it under the convergence target, so steps
    /// that only confirm convergence do not eat the local work budget).
    public var localStopNorm: Double {
        get { local.stopNorm }
        set { local.stopNorm = newValue }
    }

    /// A factor's solves stop once ‖r‖ is at or below this (the convergence target); iterative methods ignore it.
    public var globalStopNorm: Double {
        get { direct?.stopNorm ?? 0 }
        set { direct?.stopNorm = newValue }
    }

    public init(global: any IterativeMethod, localWorkQuantum: Int = 1 << 16) {
        self.global = global
        self.local = ForwardPush(workQuantum: localWorkQuantum)
    }

    /// Local push may touch at least this many matrix entries before the global method takes over: about one
    /// sparse matrix–vector product's worth (at least half a million entries).
    public static func localWorkBudget(_ system: LiveSystem) -> Int { max(1 << 19, system.matrix.nnz) }

    /// Cold (re)start with the global method from the current `x`.
    public func restart(_ system: LiveSystem) throws {
        _ = system.takeChangedRows()
        if observed?.isCurrent(for: system) != true { observe(MatrixProperties(system: system)) }
        try switchToGlobal(system, reason: "restart")
    }

    /// Feeds the cost model facts already computed (by the planner), so a restart need not compute them again.
    public func observe(_ properties: MatrixProperties) {
        observed = properties
        costs.observeMatrix(properties)
        local.symmetricRelaxationHint = costs.decay < 1 ? ForwardPush.optimalRelaxation(jacobiContraction: costs.decay) : nil
    }

    /// Chooses how to re-converge after updates were applied to `system`.
    public func updatesApplied(_ system: LiveSystem) throws {
        residualIsExact = false
        let rows = system.takeChangedRows()
        direct?.noteChangedRows(rows)
        guard let rows else {
            switchToGlobalAtNextStep(system, reason: "updates touched too many rows for local push")
            return
        }
        if mode != .localPush, globalSolveOpen {
            // Still solving globally from an earlier change: keep going, warm-started with the new residual.
            switchToGlobalAtNextStep(system, reason: "updates arrived during a global solve")
            return
        }
        let norm = system.residualNorm, stop = max(local.stopNorm, 1e-300)
        let pushEntries = costs.predictedPushEntries(rows: rows.count, norm: norm, stop: stop, nnz: system.matrix.nnz)
        let pushSeconds = pushEntries * costs.secondsPerPushEntry
        let globalSeconds = predictedGlobalSeconds(system, changedRows: rows.count, norm: norm, stop: stop)
        guard pushSeconds < globalSeconds else {
            switchToGlobalAtNextStep(system, reason: "predicted: push \(Self.milliseconds(pushSeconds)) ≥ \(global.name) \(Self.milliseconds(globalSeconds))")
            return
        }
        mode = .localPush
        modeReason = "\(rows.count) changed row(s): push predicted \(Self.milliseconds(pushSeconds)) < \(global.name) \(Self.milliseconds(globalSeconds))"
        localWorkLeft = max(Self.localWorkBudget(system) / 4, Int(min(1e12, globalSeconds / costs.secondsPerPushEntry)))
        pushPrediction = pushEntries
        pushStarted = ContinuousClock.now
        try local.restart(system, changedRows: rows)
        globalNeedsRestart = true
        global.releaseWorkspace()  // idle while push runs; the switch back restarts it
    }

    /// The global path's predicted seconds: a factor's solve (and one per row a low-rank correction would add), or
    /// the iterative method's steps at its measured rate.
    private func predictedGlobalSeconds(_ system: LiveSystem, changedRows: Int, norm: Double, stop: Double) -> Double {
        if let direct, direct.isFactored {
            let corrections = system.matrixVersion == direct.synchronizedVersion ? 0 : changedRows
            return direct.predictedResolveSeconds + direct.predictedSolveSeconds * Double(corrections)
        }
        return costs.predictedIterativeSeconds(norm: norm, stop: max(stop, globalStopNorm), nnz: system.matrix.nnz)
    }

    /// Marks the current solve as finished, so the next update may start locally; a finished push teaches the
    /// cost model what it really took.
    public func didConverge() {
        if mode == .localPush {
            costs.observePush(entries: local.work, predicted: pushPrediction,
                              seconds: (ContinuousClock.now - pushStarted).seconds)
        }
        globalSolveOpen = false
        // Every later solve starts with a restart, which rebuilds the work vectors: an idle session holds none.
        global.releaseWorkspace()
        globalNeedsRestart = true
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        global.accountMemory(&memory, system: system)
        local.accountMemory(&memory, system: system)
    }

    public func releaseWorkspace() { global.releaseWorkspace() }

    public func step(_ system: LiveSystem) -> MethodStep {
        if mode == .localPush {
            residualIsExact = false
            let result = local.step(system)
            localWorkLeft -= result.flops / 2
            if let breakdown = result.breakdown {
                return fallBack(system, reason: "local push stopped: \(breakdown)", flops: result.flops)
            }
            if localWorkLeft <= 0 {
                // Learn that push was dearer than predicted here: at least the work it was allowed.
                costs.observePush(entries: 2 * local.work, predicted: pushPrediction,
                                  seconds: 2 * (ContinuousClock.now - pushStarted).seconds)
                return fallBack(system, reason: "local push exceeded its budget (the predicted cost of \(global.name))",
                                flops: result.flops)
            }
            return result
        }
        if globalNeedsRestart {
            do { try switchToGlobal(system, reason: modeReason) } catch {
                return MethodStep(flops: 0, breakdown: "\(error)")
            }
        }
        let before = system.residualNorm
        let started = ContinuousClock.now
        let result = global.step(system)
        if direct == nil, result.flops > 0 {
            costs.observeGlobalStep(seconds: (ContinuousClock.now - started).seconds, before: before, after: system.residualNorm)
        }
        if direct == nil || result.breakdown != nil {
            residualIsExact = false
        } else if result.flops > 0 {
            residualIsExact = true
        }
        return result
    }

    private func fallBack(_ system: LiveSystem, reason: String, flops: Int) -> MethodStep {
        do {
            try switchToGlobal(system, reason: reason)
            return MethodStep(flops: flops)
        } catch {
            return MethodStep(flops: flops, breakdown: "\(error)")
        }
    }

    /// Chooses the global path after updates without doing its set-up now: bringing a factor in line with a changed
    /// `A` (a low-rank correction's solves, or a refactorisation) can take milliseconds, and the frame reflecting
    /// the updates goes out before the first step (where `step` does it, a failure there being a breakdown).
    private func switchToGlobalAtNextStep(_ system: LiveSystem, reason: String) {
        residualIsExact = false
        globalNeedsRestart = true
        globalSolveOpen = true
        modeReason = reason
        if let direct {
            mode = system.matrixVersion == direct.synchronizedVersion ? .factorResolve : .lowRankUpdate
        } else {
            mode = .globalWarmStart
        }
    }

    private func switchToGlobal(_ system: LiveSystem, reason: String) throws {
        residualIsExact = false
        try global.restart(system)
        globalNeedsRestart = false
        globalSolveOpen = true
        modeReason = reason
        guard let direct else {
            mode = .globalWarmStart
            return
        }
        switch direct.lastPath {
        case .unchanged: mode = .factorResolve
        case .lowRankUpdate: mode = .lowRankUpdate
        case .refactor, .analysis: mode = .refactor
        }
        modeReason = "\(reason); \(mode.rawValue)"
    }

    private static func milliseconds(_ seconds: Double) -> String {
        seconds.isFinite ? "\((seconds * 1e5).rounded() / 100) ms" : "unbounded"
    }
}
