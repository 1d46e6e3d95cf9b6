import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct PreconditionerTests {
    /// `M⁻¹ (A v)` for a preconditioner prepared on `system`.
    func applyToProduct(_ preconditioner: any Preconditioner, _ system: LiveSystem, _ v: [Double]) -> [Double] {
        var av = [Double](repeating: 0, count: v.count)
        SparseKernels.multiply(system.matrix, v, into: &av)
        var z = [Double](repeating: 0, count: v.count)
        preconditioner.apply(av, into: &z)
        return z
    }

    @Test(arguments: [false, true])
    func incompleteFactorisationsAreExactWithoutFill(symmetric: Bool) throws {
        // Tridiagonal matrices have no fill-in, so IC(0) and ILU(0) are the exact factorisations.
        let a = symmetric ? denseMatrix([[4, -1, 0, 0], [-1, 4, -1, 0], [0, -1, 4, -1], [0, 0, -1, 4]])
                          : denseMatrix([[4, -2, 0, 0], [-1, 5, -1, 0], [0, -3, 4, -1], [0, 0, -2, 6]])
        let system = try LiveSystem(matrix: a, b: [1, 1, 1, 1])
        let preconditioner: any Preconditioner = symmetric ? IncompleteCholesky0() : IncompleteLU0()
        try preconditioner.prepare(for: system)
        let v = [1.0, -2, 3, 0.5]
        #expect(DenseReference.maxDifference(applyToProduct(preconditioner, system, v), v) < 1e-12)
    }

    @Test func rebuildsWhenTheMatrixChanges() throws {
        let system = try LiveSystem(matrix: MatrixGenerators.planExample(), b: [1, 2, 3])
        let preconditioners: [any Preconditioner] = [IncompleteCholesky0(), IncompleteLU0(), JacobiPreconditioner(), IncompleteFactorization()]
        for p in preconditioners { try p.prepare(for: system) }
        try system.setEntry(row: 1, col: 1, to: 5)
        for p in preconditioners { try p.prepare(for: system) }
        let v = [1.0, 2, 3]
        for p in preconditioners where !(p is JacobiPreconditioner) {
            #expect(DenseReference.maxDifference(applyToProduct(p, system, v), v) < 1e-12, "\(p.name)")
        }
        #expect(JacobiPreconditioner().inverseDiagonal == nil)
        let jacobi = preconditioners[2]
        #expect(jacobi.inverseDiagonal == [0.5, 0.2, 0.5])
    }

    @Test func incompleteCholeskyRejectsIndefiniteMatrices() throws {
        let system = try LiveSystem(matrix: denseMatrix([[1, 2], [2, 1]]), b: [1, 1])
        let error = try #require(throws: SolverError.self) { try IncompleteCholesky0().prepare(for: system) }
        #expect(error.code == .preconditionerBreakdown)
        #expect(error.message.contains("row 1"))
    }

    @Test func factorisationsNameAZeroDiagonal() throws {
        let system = try LiveSystem(matrix: denseMatrix([[0, 1], [1, 2]]), b: [1, 1])
        for p in [IncompleteCholesky0(), IncompleteLU0(), JacobiPreconditioner()] as [any Preconditioner] {
            let error = try #require(throws: SolverError.self) { try p.prepare(for: system) }
            #expect(error.code == .zeroDiagonal)
            #expect(error.message.contains("row 0"))
        }
    }

    @Test func iluResolvesBySymmetry() throws {
        let symmetric = IncompleteFactorization()
        try symmetric.prepare(for: try MethodFixture.shiftedLaplacian.makeSystem())
        #expect(symmetric.name == "ic0")
        let general = IncompleteFactorization()
        try general.prepare(for: try MethodFixture.pageRank.makeSystem())
        #expect(general.name == "ilu0")
        // An update that breaks symmetry switches the factorisation on the next rebuild.
        let system = try MethodFixture.planExample.makeSystem()
        try symmetric.prepare(for: system)
        #expect(symmetric.name == "ic0")
        try system.setEntry(row: 0, col: 1, to: -0.5)
        try symmetric.prepare(for: system)
        #expect(symmetric.name == "ilu0")
    }
}
