import Foundation
import SolverCore
import SolverSession
import SolverTestSupport

/// `solverd-bench direct`: live re-convergence on the path a hybrid session picks (`MethodPlanner`, purpose live),
/// timed from the first update call to `‖r‖ ≤ tolerance · ‖b‖`, as `ReconvergenceBenchmark` does; and a single
/// A-entry change (a line outage: one edge of the graph removed, four entries) re-converged through the factor.
/// `bench/bench_direct.py` measures scipy's warm cg and a cached CHOLMOD re-solve on the same systems and changes.
enum DirectBenchmark {
    /// A session-like live solver for `system`: the first method of the hybrid `MethodPlan` inside an `AdaptiveSolver`.
    static func liveSolver(_ system: LiveSystem, tolerance: Double) throws -> (AdaptiveSolver, MethodPlan, Double) {
        let plan = MethodPlanner.plan(for: system, purpose: .live, tolerance: tolerance)
        let method = try MethodFactory.makeMethod(kind: plan.first.kind, preconditioner: plan.first.preconditioner,
                                                  analysis: plan.analysis(for: plan.first))
        let solver = AdaptiveSolver(global: method)
        let target = tolerance * system.rightHandSideNorm
        let seconds = try Samples.time {
            try solver.restart(system)
            solver.globalStopNorm = target
            solver.localStopNorm = target
            try LiveConvergence.run(system, solver, tolerance: tolerance)
            for _ in 0..<2 { _ = solver.step(system) }
        }
        return (solver, plan, seconds)
    }

    /// Steps until converged after `apply` changed the system; returns the run's facts.
    static func reconverge(_ system: LiveSystem, _ solver: AdaptiveSolver, tolerance: Double,
                           apply: () throws -> Void) throws -> [String: Any] {
        solver.didConverge()
        system.prepareForLocalUpdates()
        var steps = 0, startMode = "", reason = ""
        let seconds = try Samples.time {
            try apply()
            try solver.updatesApplied(system)
            startMode = solver.mode.rawValue
            reason = solver.modeReason
            let target = tolerance * system.rightHandSideNorm
            solver.localStopNorm = target
            solver.globalStopNorm = target
            steps = try LiveConvergence.run(system, solver, tolerance: tolerance)
        }
        return ["seconds": seconds, "start_mode": startMode, "mode": solver.mode.rawValue, "mode_reason": reason,
                "steps": steps, "true_relative_residual": system.recomputeResidual() / system.rightHandSideNorm]
    }

    /// Ten-entry changes of `b` (the change sets of `ReconvergenceBenchmark`) on the shifted 2D Laplacian.
    static func runRightHandSide(side: Int, shift: Double, tolerance: Double = 1e-8, sets: Int = 5) throws -> [String: Any] {
        let a = MatrixGenerators.laplacian2D(side: side, shift: shift)
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows), loop: ConcurrentLoop())
        let (solver, plan, initialSeconds) = try liveSolver(system, tolerance: tolerance)
        var runs: [[String: Any]] = []
        var times = Samples()
        for set in 0..<sets {
            let change = ReconvergenceBenchmark.changeSet(set, side: side)
            let run = try reconverge(system, solver, tolerance: tolerance) {
                for (index, delta) in zip(change.indices, change.deltas) { try system.addToRightHandSide(index, delta) }
            }
            times.append(run["seconds"] as! Double)
            runs.append(run.merging(["set": set, "indices": change.indices, "deltas": change.deltas]) { $1 })
        }
        return ["n": a.rows, "side": side, "shift": shift, "tolerance": tolerance, "method": plan.first.kind.rawValue,
                "method_reason": plan.first.reason, "initial_seconds": initialSeconds, "seconds": times.json(),
                "factor": factorFacts(solver), "runs": runs]
    }

    /// Removes edge (i, j) of a Laplacian-like matrix (A[i][j] = −w): the diagonal loses w at both ends and the
    /// off-diagonal pair becomes 0 — a rank-one change, and the pattern is kept.
    static func runOutage(matrix: CSRMatrix, b: [Double], edges: [(Int, Int)], tolerance: Double = 1e-8) throws -> [String: Any] {
        let system = try LiveSystem(matrix: matrix, b: b, loop: ConcurrentLoop())
        let (solver, plan, initialSeconds) = try liveSolver(system, tolerance: tolerance)
        var runs: [[String: Any]] = []
        var times = Samples()
        for (i, j) in edges {
            let w = -system.entry(row: i, col: j)
            let run = try reconverge(system, solver, tolerance: tolerance) {
                try system.setEntry(row: i, col: j, to: 0)
                try system.setEntry(row: j, col: i, to: 0)
                try system.setEntry(row: i, col: i, to: system.entry(row: i, col: i) - w)
                try system.setEntry(row: j, col: j, to: system.entry(row: j, col: j) - w)
            }
            times.append(run["seconds"] as! Double)
            runs.append(run.merging(["edge": [i, j], "weight": w]) { $1 })
        }
        return ["n": matrix.rows, "nnz": matrix.nnz, "method": plan.first.kind.rawValue, "method_reason": plan.first.reason,
                "initial_seconds": initialSeconds, "seconds": times.json(), "factor": factorFacts(solver), "runs": runs]
    }

    static func factorFacts(_ solver: AdaptiveSolver) -> [String: Any] {
        guard let direct = solver.global as? DirectSolver, let summary = direct.summary else { return [:] }
        return ["kind": summary.estimate.kind.rawValue, "ordering": summary.estimate.ordering,
                "nnz_factor": summary.factorNonzeros, "bytes": summary.bytes,
                "analysis_seconds": summary.estimate.analysisSeconds, "factor_seconds": summary.factorSeconds,
                "solve_seconds": summary.solveSeconds, "correction_rank": direct.correctionRank]
    }
}

extension DirectBenchmark {
    /// `solverd-bench direct [--sides 500,1000] [--shifts 1,0.2,0.05,0] [--outage-matrix A.mtx --outage-rhs b.mtx
    /// --outage-edges i:j,…]`: the right-hand-side runs for every side and shift, then the outage runs (on the given
    /// matrix, or on the unshifted Laplacian of the first side with an edge in the middle).
    static func run(arguments: [String]) throws -> [String: Any] {
        func value(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        let sides = (value("--sides") ?? "500,1000").split(separator: ",").compactMap { Int($0) }
        let shifts = (value("--shifts") ?? "1,0.2,0.05,0").split(separator: ",").compactMap { Double($0) }
        var result: [String: Any] = ["mode": "direct", "build": "release"]
        var live: [[String: Any]] = []
        for side in sides {
            for shift in shifts {
                progress("direct: b changes, side \(side), shift \(shift)")
                live.append(try runRightHandSide(side: side, shift: shift))
            }
        }
        result["rhs_changes"] = live
        let matrix: CSRMatrix, b: [Double], edges: [(Int, Int)]
        if let path = value("--outage-matrix") {
            var reader = MatrixMarketReader()
            try reader.feed(bytes: ArraySlice(try Data(contentsOf: URL(fileURLWithPath: path))))
            matrix = try reader.finish()
            if let rhs = value("--outage-rhs") {
                var vector = VectorReader()
                try vector.feed(bytes: ArraySlice(try Data(contentsOf: URL(fileURLWithPath: rhs))))
                b = try vector.finish()
            } else {
                b = [Double](repeating: 1, count: matrix.rows)
            }
            edges = (value("--outage-edges") ?? "").split(separator: ",").compactMap { pair in
                let ends = pair.split(separator: ":").compactMap { Int($0) }
                return ends.count == 2 ? (ends[0], ends[1]) : nil
            }
        } else {
            let side = sides.first ?? 500
            matrix = MatrixGenerators.laplacian2D(side: side, shift: 0)
            b = [Double](repeating: 1, count: matrix.rows)
            let middle = (side / 2) * side + side / 2
            edges = [(middle, middle + 1), (middle + side, middle + side + 1), (middle - 7, middle - 6)]
        }
        progress("direct: A-entry changes (line outages), n \(matrix.rows)")
        result["outage"] = try runOutage(matrix: matrix, b: b, edges: edges)
        return result
    }
}
