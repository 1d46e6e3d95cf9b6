import ArgumentParser
import Dispatch
import Foundation
import SolverCore
import SolverWire

/// `solverd estimate FILE.mtx --index i`: the random-walk Monte Carlo estimate of one coordinate of x, whose cost
/// does not depend on the size of the system.
struct EstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Estimate one coordinate x_i by random walks (diagonally dominant A)."
    )

    @OptionGroup var input: MatrixFileArguments

    @Option(name: .long, help: "The coordinate i to estimate (0-based).")
    var index: Int

    @Option(name: .long, help: "Number of random walks.")
    var walks: Int = 10_000

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Flag(name: .long, help: "Print one JSON object (as the estimate_entry tool reports each estimate).")
    var json = false

    func run() throws {
        do {
            let (matrix, b) = try input.load()
            let system = try LiveSystem(matrix: matrix, b: b)
            var estimator = RandomWalkEstimator(seed: seed)
            let start = DispatchTime.now()
            let estimate = try estimator.estimate(system, index: index, walks: walks)
            let seconds = SolveCommand.seconds(since: start)
            guard !json else { return print(String(decoding: WireEncoder.entryEstimate(estimate), as: UTF8.self)) }
            print("x[\(index)] ≈ \(estimate.value) ± \(estimate.standardError) (\(estimate.walks) walks, \(estimate.totalSteps) steps, \(SolveCommand.format(seconds)))")
        } catch let error as SolverError {
            FileHandle.standardError.write(Data("solverd estimate: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
