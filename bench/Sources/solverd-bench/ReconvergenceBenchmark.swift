import SolverCore
import SolverTestSupport

/// (c) Re-convergence after a 10-entry change to `b`: the system is first converged (not timed) and made ready for
/// local updates while idle, as a session does; then the 10 `addToRightHandSide` calls, `updatesApplied` and the
/// steps to `‖r‖ ≤ tolerance · ‖b‖` are timed together. Change sets accumulate, like a stream of updates.
enum ReconvergenceBenchmark {
    /// Entries per change set.
    static let changeSize = 10

    /// Change set `set` on a `side × side` grid: 10 cells on a 5 × 2 lattice spread over the grid (shifted a few
    /// cells per set), with deltas 0.1, 0.2, …, 1.0. Printed in the JSON so the scipy side applies the same.
    static func changeSet(_ set: Int, side: Int) -> (indices: [Int], deltas: [Double]) {
        var indices: [Int] = []
        var deltas: [Double] = []
        for j in 0..<changeSize {
            let gx = (side * (2 * (j % 5) + 1) / 10 + 3 * set) % side
            let gy = (side * (2 * (j / 5) + 1) / 4 + 5 * set) % side
            indices.append(gy * side + gx)
            deltas.append(Double(j + 1) / 10)
        }
        return (indices, deltas)
    }

    static func run(side: Int, shift: Double, tolerance: Double = 1e-8, sets: Int = 5) throws -> [String: Any] {
        let a = MatrixGenerators.laplacian2D(side: side, shift: shift)
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
        let solver = AdaptiveSolver(global: ConjugateGradient())
        try solver.restart(system)
        var initialIterations = try LiveConvergence.run(system, solver, tolerance: tolerance)
        // A session confirms convergence over `convergence_iterations` (3) consecutive steps: two more here.
        for _ in 0..<2 { _ = solver.step(system) }
        initialIterations += 2
        var times = Samples()
        var runs: [[String: Any]] = []
        for set in 0..<sets {
            solver.didConverge()
            system.prepareForLocalUpdates()
            let change = changeSet(set, side: side)
            var steps = 0
            var flops = 0
            var startMode = ""
            let seconds = try Samples.time {
                for (index, delta) in zip(change.indices, change.deltas) { try system.addToRightHandSide(index, delta) }
                try solver.updatesApplied(system)
                startMode = solver.mode.rawValue
                // What a session does: local push stops at the target itself.
                solver.localStopNorm = tolerance * system.rightHandSideNorm
                while !LiveConvergence.isConverged(system, tolerance: tolerance) {
                    let step = solver.step(system)
                    steps += 1
                    flops += step.flops
                    if let breakdown = step.breakdown { throw LiveConvergence.Failure(description: breakdown) }
                }
            }
            times.append(seconds)
            let maintained = system.relativeResidual
            runs.append([
                "set": set, "indices": change.indices, "deltas": change.deltas, "seconds": seconds,
                "start_mode": startMode, "mode": solver.mode.rawValue, "mode_reason": solver.modeReason,
                "steps": steps, "flops": flops, "entries_touched": flops / 2,
                "relative_residual": maintained,
                "true_relative_residual": system.recomputeResidual() / system.rightHandSideNorm,
            ])
        }
        return [
            "n": a.rows, "side": side, "shift": shift, "tolerance": tolerance, "change_size": changeSize,
            "initial_cg_iterations": initialIterations, "seconds": times.json(), "runs": runs,
        ]
    }
}
