/// Keeps a live system converged across updates: after a change confined to a few rows it re-converges with local
/// push (cost follows the change), otherwise — or when push runs past its budget or cannot apply — with the
/// session's global method warm-started from the current `x`. Reports which mode runs and why.
public final class AdaptiveSolver: IterativeMethod {
    public enum Mode: String, Sendable {
        /// Forward push from the rows the updates touched.
        case localPush = "local_push"
        /// The global method, warm-started from the current iterate.
        case globalWarmStart = "global_warm_start"
    }

    public let global: any IterativeMethod
    private let local: ForwardPush
    public private(set) var mode: Mode = .globalWarmStart
    public private(set) var modeReason = "initial solve"
    private var localWorkLeft = 0
    private var globalNeedsRestart = true

    public var name: String { mode == .localPush ? "push" : global.name }

    /// Local push does nothing more once ‖r‖ is at or below this (set it under the convergence target, so steps
    /// that only confirm convergence do not eat the local work budget).
    public var localStopNorm: Double {
        get { local.stopNorm }
        set { local.stopNorm = newValue }
    }

    public init(global: any IterativeMethod, localWorkQuantum: Int = 1 << 16) {
        self.global = global
        self.local = ForwardPush(workQuantum: localWorkQuantum)
    }

    /// Local push may touch this many matrix entries before the global method takes over: about one sparse
    /// matrix–vector product's worth (at least half a million entries, what a change spreading over a few thousand
    /// rows needs), past which global iterations are the cheaper way to spread the correction.
    public static func localWorkBudget(_ system: LiveSystem) -> Int { max(1 << 19, system.matrix.nnz) }

    /// Cold (re)start with the global method from the current `x`.
    public func restart(_ system: LiveSystem) throws {
        mode = .globalWarmStart
        modeReason = "restart"
        _ = system.takeChangedRows()
        try global.restart(system)
        globalNeedsRestart = false
    }

    /// Chooses how to re-converge after updates were applied to `system`.
    public func updatesApplied(_ system: LiveSystem) throws {
        guard let rows = system.takeChangedRows() else {
            try switchToGlobal(system, reason: "updates touched too many rows for local push")
            return
        }
        if mode == .globalWarmStart, !globalNeedsRestart, modeReason != "converged" {
            // Still iterating globally from an earlier change: keep going, warm-started with the new residual.
            try switchToGlobal(system, reason: "updates arrived during a global solve")
            return
        }
        mode = .localPush
        modeReason = "\(rows.count) changed row(s): residual is localised"
        localWorkLeft = Self.localWorkBudget(system)
        try local.restart(system, changedRows: rows)
        globalNeedsRestart = true
    }

    /// Marks the current solve as finished, so the next update may start locally.
    public func didConverge() {
        if mode == .globalWarmStart { modeReason = "converged" }
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        if mode == .localPush {
            let result = local.step(system)
            localWorkLeft -= result.flops / 2
            if let breakdown = result.breakdown {
                return fallBack(system, reason: "local push stopped: \(breakdown)", flops: result.flops)
            }
            if localWorkLeft <= 0 {
                return fallBack(system, reason: "local push exceeded its work budget", flops: result.flops)
            }
            return result
        }
        if globalNeedsRestart {
            do { try switchToGlobal(system, reason: modeReason) } catch {
                return MethodStep(flops: 0, breakdown: "\(error)")
            }
        }
        return global.step(system)
    }

    private func fallBack(_ system: LiveSystem, reason: String, flops: Int) -> MethodStep {
        do {
            try switchToGlobal(system, reason: reason)
            return MethodStep(flops: flops)
        } catch {
            return MethodStep(flops: flops, breakdown: "\(error)")
        }
    }

    private func switchToGlobal(_ system: LiveSystem, reason: String) throws {
        mode = .globalWarmStart
        modeReason = reason
        try global.restart(system)
        globalNeedsRestart = false
    }
}
