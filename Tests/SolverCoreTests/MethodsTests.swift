import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct MethodsTests {
    static let options = SolveOptions(tolerance: 1e-10, maxIterations: 5_000)

    @Test(arguments: MethodSpec.allCases, MethodFixture.allCases)
    func solvesAgainstDenseReference(spec: MethodSpec, fixture: MethodFixture) throws {
        guard fixture.isSymmetric || !spec.needsSymmetric else { return }  // CG on nonsymmetric may fail
        let system = try fixture.makeSystem()
        let report = try SolveDriver.run(system, method: try spec.make(), options: Self.options)
        #expect(report.status == .converged, "\(report)")
        #expect(report.relativeResidual <= 1e-10)
        #expect(report.flops > 0)
        let reference = try #require(DenseReference.solve(system.matrix, system.b))
        let scale = reference.map(abs).max() ?? 1
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-7 * scale)
        // The state is consistent after the run: r is b − A x.
        let stored = system.r
        system.recomputeResidual()
        #expect(DenseReference.maxDifference(stored, system.r) <= 1e-12 * max(1, system.rightHandSideNorm))
    }

    @Test func planExampleHasTheStatedSolution() throws {
        let system = try MethodFixture.planExample.makeSystem()
        _ = try SolveDriver.run(system, method: ConjugateGradient(), options: Self.options)
        #expect(DenseReference.maxDifference(system.x, [2.5, 4, 3.5]) < 1e-9)
    }

    @Test(arguments: MethodSpec.allCases)
    func warmRestartAfterRightHandSideChangeReconverges(spec: MethodSpec) throws {
        let system = try MethodFixture.shiftedLaplacian.makeSystem()
        let method = try spec.make()
        _ = try SolveDriver.run(system, method: method, options: Self.options)
        try system.addToRightHandSide(5, 2.0)
        try system.addToRightHandSide(100, -1.5)
        let report = try SolveDriver.run(system, method: method, options: Self.options)
        #expect(report.status == .converged)
        let reference = try #require(DenseReference.solve(system.matrix, system.b))
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-7)
    }

    @Test(arguments: MethodSpec.allCases)
    func stepLeavesResidualConsistent(spec: MethodSpec) throws {
        let system = try MethodFixture.randomDominant.makeSystem()
        let method = try spec.make()
        guard !spec.needsSymmetric else { return }
        try method.restart(system)
        for _ in 0..<3 { _ = method.step(system) }
        let recurrence = system.residualNormSquared
        system.recomputeResidual()
        #expect(abs(recurrence - system.residualNormSquared) <= 1e-10 * max(1, system.residualNormSquared))
    }

    @Test(arguments: [MethodKind.jacobi, .gaussSeidel, .neumann])
    func zeroDiagonalIsNamed(kind: MethodKind) throws {
        let system = try LiveSystem(matrix: denseMatrix([[2, 1, 0], [1, 0, 1], [0, 1, 2]]), b: [1, 1, 1])
        let method = try MethodFactory.makeMethod(kind: kind)
        let error = try #require(throws: SolverError.self) { try method.restart(system) }
        #expect(error.code == .zeroDiagonal)
        #expect(error.field == "matrix")
        #expect(error.message.contains("row 1"))
    }

    @Test func invalidRelaxationIsRejected() {
        #expect(throws: SolverError.self) { try GaussSeidel(relaxation: 2) }
        #expect(throws: SolverError.self) { try Jacobi(weight: 0) }
        let error = try? #require(throws: SolverError.self) { try MethodFactory.makeMethod(kind: .gaussSeidel, options: MethodOptions(relaxation: -1)) }
        #expect(error?.field == "options.omega")
    }

    @Test func namesDescribeTheConfiguration() throws {
        #expect(try MethodFactory.makeMethod(kind: .cg, preconditioner: .jacobi).name == "cg+jacobi")
        #expect(try MethodFactory.makeMethod(kind: .gaussSeidel, options: MethodOptions(relaxation: 1.5)).name == "sor(ω=1.5)")
        let system = try MethodFixture.shiftedLaplacian.makeSystem()
        let cg = try MethodFactory.makeMethod(kind: .cg, preconditioner: .ilu)
        try cg.restart(system)
        #expect(cg.name == "cg+ic0")
        let bicgstab = try MethodFactory.makeMethod(kind: .bicgstab, preconditioner: .ilu)
        try bicgstab.restart(try MethodFixture.randomDominant.makeSystem())
        #expect(bicgstab.name == "bicgstab+ilu0")
    }

    @Test func factoryRoutesEstimatorsAndHybridElsewhere() throws {
        #expect(try MethodFactory.makeMethod(kind: .push).name == "push")
        for kind in [MethodKind.randomWalk, .hybrid] {
            let error = try #require(throws: SolverError.self) { try MethodFactory.makeMethod(kind: kind) }
            #expect(error.code == .unsupportedMethod)
        }
    }

    @Test func preconditioningCutsIterations() throws {
        let plain = try SolveDriver.run(try MethodFixture.shiftedLaplacian.makeSystem(), method: ConjugateGradient(), options: Self.options)
        let ic0 = try SolveDriver.run(try MethodFixture.shiftedLaplacian.makeSystem(),
                                      method: ConjugateGradient(preconditioner: IncompleteCholesky0()), options: Self.options)
        #expect(ic0.iterations < plain.iterations)
    }
}
