/// Forward push (Gauss–Southwell local residual push) as an iterative method.
///
/// Each step pushes rows whose residual exceeds a threshold `θ` until about `workQuantum` matrix entries have been
/// touched; when no queued row is left it lowers `θ` by `thresholdFactor` and looks for the new heavy rows among the
/// rows it already touched (and only when none is there, in the residual sum tree). Work therefore follows where
/// the residual is, not the size of the system: after a change to a few entries of `b` or `A` only the
/// neighbourhood of those rows is touched. Converges for matrices that are diagonally dominant (by rows or columns)
/// and for symmetric positive definite ones (it is then exact coordinate descent on the energy); on others it may
/// stall or grow, which the caller's monitor reports.
public final class ForwardPush: IterativeMethod {
    public var name: String { "push" }
    /// Matrix entries touched per step at most (one step ≈ a fraction of a millisecond).
    public var workQuantum: Int
    public var thresholdFactor: Double = 4
    /// A step does no work while ‖r‖₂ is at or below this (0: always push).
    public var stopNorm: Double = 0
    /// Over-relaxation used on symmetric matrices: a push with a_ii > 0 then still lowers the energy
    /// ½xᵀAx − bᵀx, by ω(2 − ω)/2 · r_i²/a_ii, so convergence on SPD matrices holds for any ω in (0, 2), and
    /// overshooting by a third cuts the entries touched about 2.3× on the shifted 5-point Laplacian (1.3–1.4 was
    /// best there; 1.6 already touches more). Without symmetry only ω = 1 keeps the diagonally dominant guarantee.
    public static let symmetricRelaxation = 1.35
    /// The relaxation of the current solve: `symmetricRelaxation` (or `symmetricRelaxationHint`) when A was
    /// symmetric at the restart, else 1.
    public private(set) var relaxation = 1.0
    /// A better over-relaxation for symmetric matrices when the caller knows the matrix's Jacobi contraction (see
    /// `optimalRelaxation`); nil keeps `symmetricRelaxation`.
    public var symmetricRelaxationHint: Double?

    /// Young's optimal SOR factor `2 / (1 + √(1 − ρ²))` for a Jacobi contraction bound `ρ`, plus 0.1, never under
    /// `symmetricRelaxation` and at most 1.8. The local regions push works on converge faster than the whole grid,
    /// so the measured optimum sits above the theory: at shift 0.2 (ρ = 0.952, theory 1.53) 1.63 re-converged a
    /// 10-entry change at n = 1e6 in 34 ms against 41 ms at 1.53, 40 ms at 1.73 and 55 ms at 1.35.
    public static func optimalRelaxation(jacobiContraction rho: Double) -> Double {
        guard rho > 0, rho < 1 else { return symmetricRelaxation }
        return min(1.8, max(symmetricRelaxation, 2 / (1 + (1 - rho * rho).squareRoot()) + 0.1))
    }

    private var rowMarks: [PushRowMarks] = []
    /// The queue (a ring) and the row lists start with `initialListCapacity` slots and double when a push might not
    /// fit, up to n (a row is listed once per epoch): a local update lists a neighbourhood, not the system.
    private var queue: [Int32] = []
    /// Rows whose residual changed since the sum tree was last refreshed (each once).
    private var dirtyRows: [Int32] = []
    /// Rows whose residual changed, or that were seeded, since the last restart (each once): where a lowered
    /// threshold finds its rows, so a search never leaves the neighbourhood of the change while it has work there.
    private var touchedRows: [Int32] = []
    private var epochs = PushKernel.Epochs(queue: 0, touch: 0, dirty: 0)
    private var state = PushKernel.State()
    private var threshold = 0.0
    /// Restarted with the rows an update changed: lowered thresholds search the touched rows alone while they have
    /// work. Otherwise (a cold solve) the whole tree is searched too, since rows the push has not reached yet may
    /// hold any residual.
    private var followsChange = false
    /// ‖r‖₂² when the method (re)started, to recognise growth.
    private var startNormSquared = 0.0

    /// Totals since the last restart.
    public private(set) var pushes = 0
    public private(set) var work = 0

    public init(workQuantum: Int = 1 << 16) {
        self.workQuantum = workQuantum
    }

    public func restart(_ system: LiveSystem) throws {
        try restart(system, changedRows: [])
    }

    /// Restarts with the rows an update changed as extra seeds: each is queued when above the first threshold and
    /// searched again when the threshold is lowered, without a search of the whole tree.
    public func restart(_ system: LiveSystem, changedRows: [Int]) throws {
        system.compact()
        system.ensureResidualTree()
        let n = system.dimension
        if rowMarks.count != n {
            rowMarks = [PushRowMarks](repeating: PushRowMarks(), count: n)
            let slots = min(n, Self.initialListCapacity)
            (queue, dirtyRows, touchedRows) = ([Int32](repeating: 0, count: slots), [Int32](repeating: 0, count: slots),
                                               [Int32](repeating: 0, count: slots))
            epochs = PushKernel.Epochs(queue: 0, touch: 0, dirty: 0)
        }
        // A new queue epoch empties the queue (no row's mark equals it); a new touch epoch empties the touched list.
        advanceEpoch(\.queue, mark: \.queued)
        advanceEpoch(\.touch, mark: \.touched)
        advanceEpoch(\.dirty, mark: \.dirty)
        state = PushKernel.State(normSquared: system.residualNormSquared)
        threshold = system.residualNorm / thresholdFactor
        startNormSquared = system.residualNormSquared
        pushes = 0
        work = 0
        relaxation = system.isSymmetric ? symmetricRelaxationHint ?? Self.symmetricRelaxation : 1
        followsChange = !changedRows.isEmpty
        for i in changedRows { seed(i, system) }
        for i in system.residualTree.rows(above: threshold * threshold, limit: workQuantum, squaresOf: system.r) { seed(i, system) }
    }

    /// Moves one epoch on; on wrap-around every mark is cleared first, so no stale mark equals a new epoch.
    private func advanceEpoch(_ epoch: WritableKeyPath<PushKernel.Epochs, UInt16>,
                              mark: WritableKeyPath<PushRowMarks, UInt16>) {
        if epochs[keyPath: epoch] == UInt16.max {
            for i in rowMarks.indices { rowMarks[i][keyPath: mark] = 0 }
            epochs[keyPath: epoch] = 0
        }
        epochs[keyPath: epoch] += 1
    }

    static let initialListCapacity = 256

    /// Grows the queue and the lists so each has room for `entries` more rows (capped at n, which always suffices),
    /// into buffers of exactly the new size (appending would leave the array's spare capacity on top).
    private func makeRoom(for entries: Int, n: Int) {
        func grown(_ list: [Int32], count: Int, needed: Int, from start: Int = 0) -> [Int32] {
            var slots = [Int32](repeating: 0, count: min(n, max(2 * list.count, needed)))
            // A ring is unrolled from its head.
            for k in 0..<count { slots[k] = list[(start + k) % list.count] }
            return slots
        }
        if state.touchedCount + entries > touchedRows.count, touchedRows.count < n {
            touchedRows = grown(touchedRows, count: state.touchedCount, needed: state.touchedCount + entries)
        }
        if state.dirtyCount + entries > dirtyRows.count, dirtyRows.count < n {
            dirtyRows = grown(dirtyRows, count: state.dirtyCount, needed: state.dirtyCount + entries)
        }
        if state.count + entries > queue.count, queue.count < n {
            (queue, state.head) = (grown(queue, count: state.count, needed: state.count + entries, from: state.head), 0)
        }
    }

    /// Adds row `i` to the touched rows (once) and queues it when its residual is above the threshold.
    private func seed(_ i: Int, _ system: LiveSystem) {
        if rowMarks[i].touched != epochs.touch {
            makeRoom(for: 1, n: rowMarks.count)
            rowMarks[i].touched = epochs.touch
            touchedRows[state.touchedCount] = Int32(truncatingIfNeeded: i)
            state.touchedCount += 1
        }
        if abs(system.r[i]) > threshold, rowMarks[i].queued != epochs.queue {
            makeRoom(for: 1, n: rowMarks.count)
            rowMarks[i].queued = epochs.queue
            var tail = state.head + state.count
            if tail >= queue.count { tail -= queue.count }
            queue[tail] = Int32(truncatingIfNeeded: i)
            state.count += 1
        }
    }

    /// Queues the rows above the (just lowered) threshold: the touched rows, and the sum tree (refreshed first) for
    /// rows elsewhere — after a change only when no touched row is above it. Returns whether any row was queued.
    private func enqueueRowsAboveThreshold(_ system: LiveSystem) -> Bool {
        let touched = state.touchedCount
        for k in 0..<touched { seed(Int(touchedRows[k]), system) }
        if state.count > 0 && followsChange { return true }
        refreshTree(system)
        for i in system.residualTree.rows(above: threshold * threshold, limit: workQuantum, squaresOf: system.r) { seed(i, system) }
        return state.count > 0
    }

    /// Writes the dirty rows' `r_i²` into the sum tree, which makes ‖r‖₂² exact again.
    private func refreshTree(_ system: LiveSystem) {
        let count = state.dirtyCount
        guard count > 0 else { return }
        // Every pushed row is among the dirty ones, so they cover every row whose x changed.
        system.noteSolutionChanged(rows: dirtyRows[..<count])
        system.residualTree.refresh(rows: &dirtyRows, count: count, squaresOf: system.r)
        system.residualNormSquared = system.residualTree.total
        state.normSquared = system.residualNormSquared
        state.dirtyCount = 0
        advanceEpoch(\.dirty, mark: \.dirty)
    }

    /// The per-row marks (6 bytes a row once push ran) and the queue and row lists (4 bytes a listed row).
    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.livePush += MemoryAccounting.bytes(rowMarks) + MemoryAccounting.bytes(queue)
            + MemoryAccounting.bytes(dirtyRows) + MemoryAccounting.bytes(touchedRows)
    }

    /// Keeps its marks: allocating and clearing them again would cost every local update O(n).
    public func releaseWorkspace() {}

    public func step(_ system: LiveSystem) -> MethodStep {
        var stepWork = 0
        var lowered = 0
        var breakdown: String?
        let stopNormSquared = stopNorm * stopNorm
        // Free when nothing but push ran since the last step; a rebuild after anything that rewrote r meanwhile.
        system.ensureResidualTree()
        state.normSquared = system.residualNormSquared
        while stepWork < workQuantum, state.normSquared > stopNormSquared {
            if state.count == 0 {
                // The queue drained: every touched row is at or below θ. Lower it; a step gives up after 8 lowerings
                // that found nothing.
                threshold /= thresholdFactor
                if !enqueueRowsAboveThreshold(system) {
                    lowered += 1
                    if lowered > 8 { break }
                }
                continue
            }
            let outcome = PushKernel.withKernel(on: system, rowMarks: &rowMarks, queue: &queue, dirtyRows: &dirtyRows,
                                                touchedRows: &touchedRows, epochs: epochs) { kernel in
                kernel.run(threshold: threshold, relaxation: relaxation, workBudget: workQuantum - stepWork,
                           stopNormSquared: stopNormSquared, state: &state)
            }
            stepWork += outcome.work
            pushes += outcome.pushes
            if let entries = outcome.roomNeeded { makeRoom(for: entries, n: system.dimension) }
            if let row = outcome.zeroPivotRow {
                breakdown = "push needs a nonzero diagonal; A[\(row)][\(row)] is zero"
                break
            }
        }
        refreshTree(system)
        work += stepWork
        if breakdown == nil, system.residualNormSquared > 1e16 * max(startNormSquared, 1e-300) {
            breakdown = "push is growing the residual: the matrix is not diagonally dominant enough for push"
        }
        return MethodStep(flops: 2 * stepWork, breakdown: breakdown)
    }
}
