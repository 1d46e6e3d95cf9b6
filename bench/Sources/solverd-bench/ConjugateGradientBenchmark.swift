import SolverCore
import SolverSession
import SolverTestSupport

/// (b) Unpreconditioned CG on the shifted Laplacian with `b = 1`: iterations per second over a fixed count, and
/// the cold solve from `x = 0` to `‖r‖ ≤ tolerance · ‖b‖`. Building the live system is setup and is not timed;
/// resetting `x` to 0 is not timed either.
enum ConjugateGradientBenchmark {
    static func run(side: Int, shift: Double, fixedIterations: Int = 100, tolerance: Double = 1e-8,
                    repetitions: Int = 3) throws -> [String: Any] {
        let a = MatrixGenerators.laplacian2D(side: side, shift: shift)
        let n = a.rows
        let ones = [Double](repeating: 1, count: n)
        let zeros = [Double](repeating: 0, count: n)

        func iterationRate(_ loop: any ParallelLoop) throws -> Samples {
            let system = try LiveSystem(matrix: a, b: ones, loop: loop)
            let cg = ConjugateGradient()
            var samples = Samples()
            for repetition in 0...repetitions {
                try system.replaceSolution(zeros)
                try cg.restart(system)
                let seconds = Samples.time {
                    for _ in 0..<fixedIterations { _ = cg.step(system) }
                }
                if repetition > 0 { samples.append(seconds) }  // the first run warms up
            }
            return samples
        }
        let sequentialRate = try iterationRate(SequentialLoop())
        let concurrentRate = try iterationRate(ConcurrentLoop())

        let system = try LiveSystem(matrix: a, b: ones)
        let cg = ConjugateGradient()
        var cold = Samples()
        var iterations = 0
        for _ in 0..<repetitions {
            try system.replaceSolution(zeros)
            try cold.append(Samples.time {
                try cg.restart(system)
                iterations = try LiveConvergence.run(system, cg, tolerance: tolerance)
            })
        }
        let finalRelative = system.relativeResidual
        let trueRelative = system.recomputeResidual() / system.rightHandSideNorm
        return [
            "n": n, "side": side, "shift": shift, "rhs": "ones", "preconditioner": "none",
            "fixed_iterations": fixedIterations,
            "iterations_per_second": sequentialRate.rateJSON(count: Double(fixedIterations)),
            "iterations_per_second_concurrent": concurrentRate.rateJSON(count: Double(fixedIterations)),
            "cold_solve": [
                "tolerance": tolerance, "seconds": cold.json(), "iterations": iterations,
                "recurrence_relative_residual": finalRelative, "true_relative_residual": trueRelative,
            ] as [String: Any],
        ]
    }
}
