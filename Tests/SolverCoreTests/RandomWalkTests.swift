import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct RandomWalkTests {
    @Test(arguments: [0, 17, 123])
    func estimateIsWithinFourStandardErrors(index: Int) throws {
        let a = MatrixGenerators.randomDiagonallyDominant(n: 200, dominance: 1.5, seed: 5)
        let b = MatrixGenerators.randomVector(200, seed: 9)
        let system = try LiveSystem(matrix: a, b: b)
        let truth = try #require(DenseReference.solve(a, b))[index]
        var estimator = RandomWalkEstimator(seed: 42)
        let estimate = try estimator.estimate(system, index: index, walks: 20_000)
        #expect(estimate.standardError > 0)
        #expect(abs(estimate.value - truth) <= 4 * estimate.standardError, "\(estimate) vs \(truth)")
        #expect(estimate.truncatedWalks == 0)
    }

    @Test func costFollowsWalksNotDimension() throws {
        // Same local structure, 100× larger system: the visited states stay about the same.
        func steps(_ n: Int) throws -> Int {
            let system = try LiveSystem(matrix: MatrixGenerators.randomDiagonallyDominant(n: n, dominance: 2, seed: 3),
                                        b: [Double](repeating: 1, count: n))
            var estimator = RandomWalkEstimator(seed: 1)
            return try estimator.estimate(system, index: 0, walks: 2_000).totalSteps
        }
        let small = try steps(500), large = try steps(50_000)
        #expect(Double(large) < 2 * Double(small))
    }

    @Test func sameSeedSameEstimate() throws {
        let system = try MethodFixture.randomDominant.makeSystem()
        var first = RandomWalkEstimator(seed: 9), second = RandomWalkEstimator(seed: 9)
        #expect(try first.estimate(system, index: 3, walks: 500) == second.estimate(system, index: 3, walks: 500))
    }

    @Test func rejectsMatricesThatAreNotStrictlyDominant() throws {
        let system = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: 6), b: [Double](repeating: 1, count: 36))
        var estimator = RandomWalkEstimator()
        let error = try #require(throws: SolverError.self) { try estimator.estimate(system, index: 14, walks: 100) }
        #expect(error.code == .notDiagonallyDominant)
    }

    @Test func rejectsBadArguments() throws {
        let system = try MethodFixture.planExample.makeSystem()
        var estimator = RandomWalkEstimator()
        #expect(throws: SolverError.self) { try estimator.estimate(system, index: 3, walks: 10) }
        #expect(throws: SolverError.self) { try estimator.estimate(system, index: 0, walks: 0) }
    }
}
