import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct MethodSelectorTests {
    func choice(_ a: CSRMatrix) throws -> MethodChoice {
        MethodSelector.choose(for: MatrixProperties(system: try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))))
    }

    @Test func symmetricPositiveDiagonalGetsPreconditionedCG() throws {
        let c = try choice(MatrixGenerators.laplacian2D(side: 10, shift: 0.1))
        #expect(c.kind == .cg)
        #expect(c.preconditioner == .ilu)
        #expect(c.reason == "symmetric with positive diagonal: cg+ic0")
    }

    @Test func smallNonsymmetricGetsRobustChoice() throws {
        let c = try choice(MatrixGenerators.randomDiagonallyDominant(n: 200))
        #expect(c.kind == .bicgstab)
        #expect(c.preconditioner == .ilu)
        #expect(c.reason.contains("small"))
    }

    @Test func largeDominantNonsymmetricGetsJacobiBiCGSTAB() throws {
        let c = try choice(MatrixGenerators.pageRank(n: MethodSelector.smallSystemDimension + 500))
        #expect(c.kind == .bicgstab)
        #expect(c.preconditioner == .jacobi)
        #expect(c.reason == "nonsymmetric, diagonally dominant by columns: bicgstab+jacobi")
    }

    @Test func zeroDiagonalAvoidsDiagonalScaling() throws {
        let c = try choice(denseMatrix([[0, 1], [1, 1]]))
        #expect(c.kind == .bicgstab)
        #expect(c.preconditioner == PreconditionerKind.none)
        #expect(c.reason.contains("diagonal"))
    }

    @Test func fallbackChainEnds() {
        var choice: MethodChoice? = MethodChoice(kind: .cg, preconditioner: .ilu, reason: "start")
        var steps = 0
        while let current = choice {
            choice = MethodSelector.fallback(after: current, failure: "test")
            steps += 1
        }
        #expect(steps == 5)  // cg+ilu, cg+jacobi, bicgstab+ilu, bicgstab+jacobi, bicgstab
    }

    @Test func hybridSolvesEveryFixture() throws {
        for fixture in MethodFixture.allCases {
            let system = try fixture.makeSystem()
            let report = try SolveDriver.run(system, kind: .hybrid, options: SolveOptions(tolerance: 1e-10))
            #expect(report.status == .converged, "\(fixture): \(report)")
            #expect(report.reason != nil)
            let reference = try #require(DenseReference.solve(system.matrix, system.b))
            #expect(DenseReference.maxDifference(system.x, reference) < 1e-7)
        }
    }
}
