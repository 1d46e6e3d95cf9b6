import SolverCore
import SolverTestSupport

/// (d) One coordinate by random walks on the strongly shifted Laplacian (`b = 1`, centre cell), against the exact
/// value from a CG solve of the whole system.
enum EstimateBenchmark {
    static func run(side: Int, shift: Double, walks: Int = 10_000, repetitions: Int = 15) throws -> [String: Any] {
        let a = MatrixGenerators.laplacian2D(side: side, shift: shift)
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
        let index = (side / 2) * side + side / 2
        var estimator = RandomWalkEstimator()
        var first: RandomWalkEstimate?
        let samples = try Samples.measure(repetitions: repetitions, warmUp: 2) {
            let estimate = try estimator.estimate(system, index: index, walks: walks)
            if first == nil { first = estimate }
        }
        let cg = ConjugateGradient()
        let solveSeconds = try Samples.time {
            try cg.restart(system)
            try LiveConvergence.run(system, cg, tolerance: 1e-8)
        }
        try cg.restart(system)
        try LiveConvergence.run(system, cg, tolerance: 1e-12)
        let exact = system.x[index]
        let estimate = first!
        return [
            "n": a.rows, "side": side, "shift": shift, "index": index, "walks": walks,
            "seconds_per_estimate": samples.json(),
            "value": estimate.value, "standard_error": estimate.standardError,
            "mean_walk_length": Double(estimate.totalSteps) / Double(walks),
            "exact": exact, "error_in_standard_errors": (estimate.value - exact) / estimate.standardError,
            "solverd_cg_solve_seconds_rtol_1e-8": solveSeconds,
        ]
    }
}
