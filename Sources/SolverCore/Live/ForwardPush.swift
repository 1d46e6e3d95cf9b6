/// Forward push (Gauss–Southwell local residual push) as an iterative method.
///
/// Each step pushes rows whose residual exceeds a threshold `θ` until about `workQuantum` matrix entries have been
/// touched; when no row exceeds `θ` it lowers `θ` by `thresholdFactor` and finds the new heavy rows through the
/// residual sum tree. Work therefore follows where the residual is, not the size of the system: after a change to a
/// few entries of `b` or `A` only the neighbourhood of those rows is touched. Converges for matrices that are
/// diagonally dominant (by rows or columns) and for symmetric positive definite ones (it is then exact coordinate
/// descent on the energy); on others it may stall or grow, which the caller's monitor reports.
public final class ForwardPush: IterativeMethod {
    public var name: String { "push" }
    /// Matrix entries touched per step at most (one step ≈ a fraction of a millisecond).
    public var workQuantum: Int
    public var thresholdFactor: Double = 4
    /// A step does no work while ‖r‖₂ is at or below this (0: always push).
    public var stopNorm: Double = 0

    private var queue: [Int32] = []
    private var marks: [UInt32] = []
    private var epoch: UInt32 = 0
    /// Rows whose residual leaf a kernel run rewrote (each once per run, by `leafMarks == leafEpoch`).
    private var dirtyLeaves: [Int32] = []
    private var leafMarks: [UInt32] = []
    private var leafEpoch: UInt32 = 0
    private var head = 0
    private var count = 0
    private var threshold = 0.0
    /// ‖r‖₂² when the method (re)started, to recognise growth.
    private var startNormSquared = 0.0

    /// Totals since the last restart.
    public private(set) var pushes = 0
    public private(set) var work = 0

    public init(workQuantum: Int = 1 << 16) {
        self.workQuantum = workQuantum
    }

    public func restart(_ system: LiveSystem) throws {
        system.compact()
        system.ensureResidualTree()
        let n = system.dimension
        if queue.count != n {
            queue = [Int32](repeating: 0, count: n)
            marks = [UInt32](repeating: 0, count: n)
            dirtyLeaves = [Int32](repeating: 0, count: n)
            leafMarks = [UInt32](repeating: 0, count: n)
            epoch = 0
            leafEpoch = 0
        }
        epoch = Self.advance(epoch, resetting: &marks)
        head = 0
        count = 0
        threshold = system.residualNorm / thresholdFactor
        startNormSquared = system.residualNormSquared
        pushes = 0
        work = 0
    }

    /// The next epoch for a mark array; on wrap-around the marks are cleared so no stale mark equals a new epoch.
    private static func advance(_ epoch: UInt32, resetting marks: inout [UInt32]) -> UInt32 {
        guard epoch == UInt32.max else { return epoch + 1 }
        for i in marks.indices { marks[i] = 0 }
        return 1
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        var stepWork = 0
        var lowered = 0
        var breakdown: String?
        while stepWork < workQuantum, system.residualNormSquared > stopNorm * stopNorm {
            if count == 0 {
                if system.residualNormSquared == 0 { break }
                let seeds = system.residualTree.leaves(above: threshold * threshold, limit: workQuantum)
                if seeds.isEmpty {
                    // Nothing above θ: lower it, a bounded number of times per step.
                    lowered += 1
                    if lowered > 8 { break }
                    threshold /= thresholdFactor
                    continue
                }
                for i in seeds where marks[i] != epoch {
                    marks[i] = epoch
                    queue[(head + count) % queue.count] = Int32(truncatingIfNeeded: i)
                    count += 1
                }
            }
            let threshold = self.threshold
            let budget = workQuantum - stepWork
            leafEpoch = Self.advance(leafEpoch, resetting: &leafMarks)
            let outcome = PushKernel.withKernel(on: system, queue: &queue, marks: &marks, epoch: epoch,
                                                dirtyLeaves: &dirtyLeaves, leafMarks: &leafMarks, leafEpoch: leafEpoch) { kernel in
                kernel.run(threshold: threshold, workBudget: budget, normSquared: system.residualNormSquared,
                           stopNormSquared: stopNorm * stopNorm, head: &head, count: &count)
            }
            // Every pushed row's leaf is among the dirty ones, so they cover every row whose x changed.
            system.noteSolutionChanged(rows: dirtyLeaves[..<outcome.dirtyCount])
            system.residualTree.refreshAncestors(ofLeaves: &dirtyLeaves, count: outcome.dirtyCount)
            system.residualNormSquared = system.residualTree.total
            stepWork += outcome.work
            pushes += outcome.pushes
            if let row = outcome.zeroPivotRow {
                breakdown = "push needs a nonzero diagonal; A[\(row)][\(row)] is zero"
                break
            }
            if outcome.work == 0 && count == 0 { continue }
        }
        system.residualNormSquared = system.residualTree.total
        work += stepWork
        if breakdown == nil, system.residualNormSquared > 1e16 * max(startNormSquared, 1e-300) {
            breakdown = "push is growing the residual: the matrix is not diagonally dominant enough for push"
        }
        return MethodStep(flops: 2 * stepWork, breakdown: breakdown)
    }
}
