import ArgumentParser
import Dispatch
import Foundation
import SolverCore
import SolverSession
import SolverWire

/// `solverd bench`: a few seconds' self-benchmark of this machine on the shifted 2D Laplacian (n ≈ `--size`):
/// sparse products, a cold CG solve, a Cholesky factor and solve, push re-convergence after a single-entry change
/// of b (what a live session does per update; on the strongly dominant variant, where changes stay local) and a
/// random-walk estimate. `make bench-core` is the thorough one.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Quick self-benchmark: SpMV, CG, Cholesky, push re-convergence, random walks; times, rates, machine."
    )

    @Option(name: .long, help: "Rows of the test Laplacian (rounded to a square grid).")
    var size: Int = 100_000

    @Option(name: .long, help: "Single-entry changes re-converged by push (the median is reported).")
    var changes: Int = 5

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    /// The Laplacian's diagonal shift: κ ≈ 800, CG takes a few hundred iterations, push stays local.
    static let shift = 0.01
    static let tolerance = 1e-8

    func validate() throws {
        guard (100...10_000_000).contains(size) else { throw ValidationError("--size must be in 100...10000000") }
        guard (1...100).contains(changes) else { throw ValidationError("--changes must be in 1...100") }
    }

    func run() throws {
        let started = DispatchTime.now()
        let side = Int(Double(size).squareRoot().rounded())
        let a = MatrixGenerators.laplacian2D(side: side, shift: Self.shift)
        let results = [try Self.spmv(a), try Self.conjugateGradient(a), try Self.cholesky(a),
                       try Self.pushReconvergence(side: side, changes: changes),
                       try Self.randomWalk(side: min(side, 300))]
        let total = SolveCommand.seconds(since: started)
        let machine = Machine.current()
        if json {
            var w = JSONWriter()
            w.object { w in
                w.field("type", "bench")
                w.field("machine") { w in for (key, value) in machine { w.field(key, value) } }
                w.field("n", a.rows)
                w.field("nnz", a.nnz)
                for result in results {
                    w.field(result.name) { w in for (key, value) in result.numbers { w.field(key, value) } }
                }
                w.field("total_seconds", total)
            }
            print(String(decoding: w.bytes, as: UTF8.self))
        } else {
            print("machine      " + machine.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
            print("system       2D Laplacian + \(Self.shift)·I, n \(a.rows), nnz \(a.nnz), tolerance \(Self.tolerance)")
            for result in results { print(result.name.padding(toLength: 13, withPad: " ", startingAt: 0) + result.line) }
            print("total        \(SolveCommand.format(total))")
        }
    }

    /// One measurement: its numbers for `--json` (the first is its time) and its line of text.
    struct Result {
        var name: String
        var numbers: [(String, Double)]
        var line: String

        init(_ name: String, _ numbers: [(String, Double)], _ line: String) {
            self.name = name
            self.numbers = numbers
            self.line = line
        }
    }

    /// Seconds of the fastest of `repetitions` runs of `body`.
    static func best(_ repetitions: Int = 5, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = DispatchTime.now()
            try body()
            best = min(best, SolveCommand.seconds(since: start))
        }
        return best
    }

    static func spmv(_ a: CSRMatrix) throws -> Result {
        let x = MatrixGenerators.randomVector(a.cols)
        var y = [Double](repeating: 0, count: a.rows)
        let loop = ConcurrentLoop()
        let seconds = best { SparseKernels.multiply(a, x, into: &y, loop: loop) }
        let rate = 2 * Double(a.nnz) / seconds / 1e9
        return Result("spmv", [("seconds", seconds), ("gflops", rate), ("threads", Double(loop.width))],
                "y = A x in \(SolveCommand.format(seconds)): \(format(rate)) GFLOP/s on \(loop.width) threads")
    }

    static func conjugateGradient(_ a: CSRMatrix) throws -> Result {
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows), loop: ConcurrentLoop())
        var report: SolveReport?
        let seconds = try best(1) {
            report = try SolveDriver.run(system, kind: .cg, preconditioner: .jacobi, options: SolveOptions(tolerance: tolerance))
        }
        let r = report!
        return Result("cg", [("seconds", seconds), ("iterations", Double(r.iterations)),
                       ("iterations_per_second", Double(r.iterations) / seconds), ("relative_residual", r.relativeResidual)],
                "cold cg+jacobi solve in \(SolveCommand.format(seconds)): \(r.iterations) iterations "
                    + "(\(format(Double(r.iterations) / seconds)) per second), relative residual \(format(r.relativeResidual))")
    }

    static func cholesky(_ a: CSRMatrix) throws -> Result {
        let start = DispatchTime.now()
        let factorization = try SparseFactorizations.analyze(a, kind: .cholesky)
        let analysis = SolveCommand.seconds(since: start)
        let factor = try best(1) { try factorization.factor(a, reuse: false) }
        var b = [Double](repeating: 1, count: a.rows)
        let solve = try best(1) { try factorization.solve(&b) }
        let e = factorization.estimate
        let rate = e.factorFlops / factor / 1e9
        return Result("cholesky", [("analysis_seconds", analysis), ("factor_seconds", factor), ("solve_seconds", solve),
                             ("nnz_factor", Double(factorization.factorNonzeros)), ("factor_gflops", rate)],
                "analysis \(SolveCommand.format(analysis)) (\(e.ordering)), factor \(SolveCommand.format(factor)) "
                    + "(nnz(L) \(factorization.factorNonzeros), \(format(rate)) GFLOP/s), solve \(SolveCommand.format(solve))")
    }

    /// A converged live system takes `changes` single-entry changes of b, spread over the grid; each is timed from
    /// the update to `‖r‖ ≤ tolerance · ‖b‖`, as a session re-converges. On the strongly dominant Laplacian (shift
    /// 1) a change stays local, so push is the path a session takes; the cold CG solve of that system is the yardstick.
    static func pushReconvergence(side: Int, changes: Int) throws -> Result {
        let a = MatrixGenerators.laplacian2D(side: side, shift: 1)
        let cold = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
        let coldSeconds = try best(1) {
            _ = try SolveDriver.run(cold, kind: .cg, preconditioner: .jacobi, options: SolveOptions(tolerance: tolerance))
        }
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
        let solver = AdaptiveSolver(global: ConjugateGradient())
        try solver.restart(system)
        try converge(system, solver)
        var times: [Double] = []
        var mode = ""
        for k in 0..<changes {
            solver.didConverge()
            system.prepareForLocalUpdates()
            let cell = (side * (2 * k + 1) / (2 * changes)) * side + side * (k + 1) / (changes + 1)
            let start = DispatchTime.now()
            try system.addToRightHandSide(cell, 1)
            try solver.updatesApplied(system)
            mode = solver.mode.rawValue
            solver.localStopNorm = tolerance * system.rightHandSideNorm
            try converge(system, solver)
            times.append(SolveCommand.seconds(since: start))
        }
        let median = times.sorted()[times.count / 2]
        return Result("push", [("median_seconds", median), ("changes", Double(changes)), ("cold_cg_seconds", coldSeconds),
                               ("speedup_over_cold_cg", coldSeconds / median)],
                "single-entry change of b re-converged in \(SolveCommand.format(median)) (median of \(changes), \(mode), "
                    + "shift 1): \(format(coldSeconds / median))× faster than its cold cg solve")
    }

    static func converge(_ system: LiveSystem, _ method: any IterativeMethod, maxSteps: Int = 100_000) throws {
        var steps = 0
        while system.residualNorm > tolerance * system.rightHandSideNorm, steps < maxSteps {
            if let breakdown = method.step(system).breakdown {
                throw SolverError(.internal, "\(method.name) broke down: \(breakdown)", field: nil)
            }
            steps += 1
        }
    }

    /// One coordinate of a strongly dominant Laplacian (shift 1: short walks).
    static func randomWalk(side: Int, walks: Int = 10_000) throws -> Result {
        let a = MatrixGenerators.laplacian2D(side: side, shift: 1)
        let system = try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
        var estimator = RandomWalkEstimator()
        var estimate: RandomWalkEstimate?
        let seconds = try best(3) { estimate = try estimator.estimate(system, index: (side / 2) * side + side / 2, walks: walks) }
        let e = estimate!
        return Result("random_walk", [("seconds", seconds), ("walks_per_second", Double(walks) / seconds), ("value", e.value),
                                ("standard_error", e.standardError)],
                "x_i ≈ \(format(e.value)) ± \(format(e.standardError)) in \(SolveCommand.format(seconds)) "
                    + "(\(walks) walks, \(format(Double(walks) / seconds)) per second; n \(a.rows) does not matter)")
    }

    static func format(_ value: Double) -> String { String(format: "%.3g", value) }
}

/// What the machine is: host, cores, memory, CPU model (Linux /proc/cpuinfo), OS and build.
enum Machine {
    static func current() -> [(String, String)] {
        let info = ProcessInfo.processInfo
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return [("host", info.hostName), ("cores", "\(info.activeProcessorCount)"), ("cpu", cpu ?? "unknown"),
                ("memory_gib", String(format: "%.1f", Double(info.physicalMemory) / Double(1 << 30))),
                ("os", info.operatingSystemVersionString), ("build", build)]
    }
}
