import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct SolveDriverTests {
    @Test func divergenceIsDetectedNotLoopedOn() throws {
        // Jacobi's iteration matrix here has spectral radius 3.
        let system = try LiveSystem(matrix: denseMatrix([[1, 3], [3, 1]]), b: [1, 1])
        let report = try SolveDriver.run(system, method: try Jacobi(), options: SolveOptions(maxIterations: 10_000))
        #expect(report.status == .diverged)
        #expect(report.iterations < 100)
    }

    @Test func stagnationIsDetectedAfterTheWindow() throws {
        // Jacobi's residual is rotated by 90° each step (I − A is a rotation): its norm never changes.
        let system = try LiveSystem(matrix: denseMatrix([[1, 1], [-1, 1]]), b: [1, 0])
        let report = try SolveDriver.run(system, method: try Jacobi(), options: SolveOptions(maxIterations: 10_000, stagnationWindow: 20))
        #expect(report.status == .stagnated)
        #expect(report.iterations == 20)
    }

    @Test func maxIterationsIsHonoured() throws {
        let system = try MethodFixture.shiftedLaplacian.makeSystem()
        let report = try SolveDriver.run(system, method: ConjugateGradient(), options: SolveOptions(tolerance: 1e-14, maxIterations: 3))
        #expect(report.status == .maxIterations)
        #expect(report.iterations == 3)
    }

    @Test func zeroRightHandSideGivesZeroAtOnce() throws {
        let system = try LiveSystem(matrix: MatrixGenerators.planExample(), b: [0, 0, 0], x0: [1, 2, 3])
        let report = try SolveDriver.run(system, method: ConjugateGradient())
        #expect(report.status == .converged)
        #expect(report.iterations == 0)
        #expect(system.x == [0, 0, 0])
    }

    @Test func convergedWarmStartTakesNoSteps() throws {
        let system = try LiveSystem(matrix: MatrixGenerators.planExample(), b: [1, 2, 3], x0: [2.5, 4, 3.5])
        let report = try SolveDriver.run(system, method: try GaussSeidel())
        #expect(report.status == .converged)
        #expect(report.iterations == 0)
    }

    @Test func breakdownIsReported() throws {
        // CG on an indefinite matrix: p·Ap = 0 on the first step.
        let system = try LiveSystem(matrix: denseMatrix([[1, 0], [0, -1]]), b: [1, 1])
        let report = try SolveDriver.run(system, method: ConjugateGradient())
        #expect(report.status == .breakdown)
        #expect(report.detail != nil)
    }

    @Test func invalidOptionsAreRejected() throws {
        let system = try MethodFixture.planExample.makeSystem()
        let error = try #require(throws: SolverError.self) {
            try SolveDriver.run(system, method: ConjugateGradient(), options: SolveOptions(tolerance: 0))
        }
        #expect(error.field == "options.tolerance")
    }

    @Test func hybridReportsWhy() throws {
        let system = try MethodFixture.shiftedLaplacian.makeSystem()
        let report = try SolveDriver.run(system, kind: .hybrid, options: SolveOptions(tolerance: 1e-10))
        #expect(report.status == .converged)
        // 144 rows: the factor's predicted flops undercut CG+IC(0)'s.
        #expect(report.methodName == "cholesky")
        #expect(report.reason?.contains("symmetric") == true)
        #expect(report.reason?.contains("predicts") == true)
    }

    @Test func hybridFactorsIndefiniteMatricesWithLDLT() throws {
        // Symmetric with a positive diagonal but indefinite; a positive off-diagonal entry without dominance is the
        // evidence that sends the hybrid plan to LDLᵀ rather than Cholesky or CG+IC(0).
        let system = try LiveSystem(matrix: denseMatrix([[1, 2, 0], [2, 1, 0], [0, 0, 3]]), b: [1, 2, 3])
        let report = try SolveDriver.run(system, kind: .hybrid, options: SolveOptions(tolerance: 1e-10))
        #expect(report.status == .converged, "\(report)")
        #expect(report.reason?.contains("indefinite evidence") == true)
        #expect(report.methodName == "ldlt", "\(report)")
        let reference = try #require(DenseReference.solve(system.matrix, system.b))
        #expect(DenseReference.maxDifference(system.x, reference) < 1e-8)
    }
}

@Suite struct ConvergenceMonitorTests {
    @Test func convergesAtTheTarget() {
        var monitor = ConvergenceMonitor(targetNorm: 1e-3, maxIterations: 100)
        #expect(monitor.start(residualNorm: 1) == .running)
        #expect(monitor.record(residualNorm: 0.1) == .running)
        #expect(monitor.record(residualNorm: 1e-3) == .converged)
        #expect(monitor.iterations == 2)
    }

    @Test func nonFiniteAndRunawayResidualsDiverge() {
        var monitor = ConvergenceMonitor(targetNorm: 1e-3, maxIterations: 100)
        monitor.start(residualNorm: 1)
        #expect(monitor.record(residualNorm: .nan) == .diverged)
        var runaway = ConvergenceMonitor(targetNorm: 1e-3, maxIterations: 100, divergenceFactor: 1e8)
        runaway.start(residualNorm: 1)
        runaway.record(residualNorm: 0.5)
        #expect(runaway.record(residualNorm: 0.5e8) == .running)
        #expect(runaway.record(residualNorm: 0.6e8) == .diverged)
    }

    @Test(arguments: [5, 50])
    func stagnationWindowIsConfigurable(window: Int) {
        var monitor = ConvergenceMonitor(targetNorm: 1e-3, maxIterations: 10_000, stagnationWindow: window)
        monitor.start(residualNorm: 1)
        var status = ConvergenceStatus.running
        // Improvements of 0.001% per step stay below the 0.1% that counts over the whole window.
        var norm = 1.0
        while status == .running {
            norm *= 0.99999
            status = monitor.record(residualNorm: norm)
        }
        #expect(status == .stagnated)
        #expect(monitor.iterations == window)
    }

    @Test func maxIterationsStops() {
        var monitor = ConvergenceMonitor(targetNorm: 0, maxIterations: 2)
        monitor.start(residualNorm: 1)
        monitor.record(residualNorm: 0.5)
        #expect(monitor.record(residualNorm: 0.25) == .maxIterations)
        #expect(monitor.record(residualNorm: 0.1) == .maxIterations)
        #expect(monitor.iterations == 2)
    }
}
