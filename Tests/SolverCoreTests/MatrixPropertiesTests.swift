import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct MatrixPropertiesTests {
    @Test func laplacianIsSymmetricAndWeaklyDominant() throws {
        let system = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: 5), b: [Double](repeating: 1, count: 25))
        let facts = MatrixProperties(system: system)
        #expect(facts.n == 25)
        #expect(facts.nnz == system.matrix.nnz)
        #expect(facts.isSymmetric)
        #expect(facts.hasPositiveDiagonal)
        #expect(facts.rowDominance == .weak)
        #expect(facts.minimumRowDominanceRatio == 1)
    }

    @Test func shiftMakesDominanceStrict() throws {
        let facts = MatrixProperties(system: try MethodFixture.shiftedLaplacian.makeSystem())
        #expect(facts.rowDominance == .strict)
        #expect(facts.columnDominance == .strict)
        #expect(abs(facts.minimumRowDominanceRatio - 4.1 / 4) < 1e-12)
    }

    @Test func pageRankIsNonsymmetricAndColumnDominant() throws {
        let facts = MatrixProperties(system: try MethodFixture.pageRank.makeSystem())
        #expect(!facts.isSymmetric)
        #expect(facts.columnDominance == .strict)
        #expect(abs(facts.minimumColumnDominanceRatio - 1 / 0.85) < 1e-9)
    }

    @Test func tracksTheMatrixVersion() throws {
        let system = try MethodFixture.planExample.makeSystem()
        let facts = MatrixProperties(system: system)
        #expect(facts.isCurrent(for: system))
        try system.setEntry(row: 0, col: 2, to: 0.5)  // a new nonzero breaks symmetry
        #expect(!facts.isCurrent(for: system))
        #expect(!MatrixProperties(system: system).isSymmetric)
    }

    @Test func symmetryAllowsRelativeRounding() throws {
        let system = try LiveSystem(matrix: denseMatrix([[2, 1], [1 + 1e-13, 2]]), b: [1, 1])
        #expect(MatrixProperties(system: system).isSymmetric)
        #expect(!MatrixProperties(system: system, symmetryTolerance: 1e-15).isSymmetric)
    }
}
