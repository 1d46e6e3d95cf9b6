import Testing
@testable import SolverCore
import SolverTestSupport

/// Systems MINRES and GMRES are checked on, beyond the shared `MethodFixture`s.
enum KrylovFixture {
    /// 2D Laplacian on a 20×20 grid shifted by −0.5: symmetric, indefinite (eigenvalues in about [−0.46, 7.46]),
    /// nonsingular.
    static func indefiniteLaplacian() -> CSRMatrix { MatrixGenerators.laplacian2D(side: 20, shift: -0.5) }

    /// Saddle point `[[A, Bᵀ], [B, −εI]]` with `A` the 6×6-grid Laplacian (n = 36) and `B` 12 × 36 of full row
    /// rank (rows with disjoint supports). With `ε = 0` the lower diagonal is not stored at all.
    static func saddlePoint(regularisation: Double = 0) -> CSRMatrix {
        let a = MatrixGenerators.laplacian2D(side: 6)
        let (n, m) = (a.rows, 12)
        var rng = SplitMix64(seed: 5)
        var t = COOTriplets(rows: n + m, cols: n + m)
        for i in 0..<n {
            for k in a.rowPointers[i]..<a.rowPointers[i + 1] { t.append(row: i, col: Int(a.colIndices[k]), value: a.values[k]) }
        }
        for i in 0..<m {
            for (col, value) in [(3 * i, 1 + 0.5 * rng.nextDouble()), (3 * i + 1, -1 + 0.3 * rng.nextDouble())] {
                t.append(row: n + i, col: col, value: value)
                t.append(row: col, col: n + i, value: value)
            }
            if regularisation != 0 { t.append(row: n + i, col: n + i, value: -regularisation) }
        }
        return t.toCSR()
    }

    /// Central-difference convection–diffusion–reaction `−Δu + c·∇u + σ u` on a `side × side` grid: nonsymmetric,
    /// nonsingular.
    static func convectionDiffusion(side: Int = 20, convection: Double = 0.4) -> CSRMatrix {
        let n = side * side
        var t = COOTriplets(rows: n, cols: n)
        for gy in 0..<side {
            for gx in 0..<side {
                let i = gy * side + gx
                if gy > 0 { t.append(row: i, col: i - side, value: -1 - convection / 2) }
                if gx > 0 { t.append(row: i, col: i - 1, value: -1 - convection) }
                // A varying reaction term, so Jacobi scaling is not a multiple of the identity.
                t.append(row: i, col: i, value: 4 + 4 * Double(gx + gy) / Double(2 * side))
                if gx < side - 1 { t.append(row: i, col: i + 1, value: -1 + convection) }
                if gy < side - 1 { t.append(row: i, col: i + side, value: -1 + convection / 2) }
            }
        }
        return t.toCSR()
    }

    static func system(_ a: CSRMatrix) throws -> LiveSystem {
        try LiveSystem(matrix: a, b: MatrixGenerators.randomVector(a.rows, seed: 11))
    }
}

@Suite struct KrylovMethodsTests {
    static let options = SolveOptions(tolerance: 1e-10, maxIterations: 5_000, stagnationWindow: 200)

    /// Runs `method` through the driver and checks convergence, the dense reference and `r = b − A x`.
    func expectSolves(_ a: CSRMatrix, with method: any IterativeMethod, tolerance: Double = 1e-10,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let system = try KrylovFixture.system(a)
        var options = Self.options
        options.tolerance = tolerance
        let report = try SolveDriver.run(system, method: method, options: options)
        #expect(report.status == .converged, "\(report)", sourceLocation: sourceLocation)
        #expect(report.relativeResidual <= tolerance, sourceLocation: sourceLocation)
        #expect(report.flops > 0, sourceLocation: sourceLocation)
        let reference = try #require(DenseReference.solve(system.matrix, system.b), sourceLocation: sourceLocation)
        let scale = reference.map(abs).max() ?? 1
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-6 * scale, sourceLocation: sourceLocation)
        let stored = system.r
        system.recomputeResidual()
        #expect(DenseReference.maxDifference(stored, system.r) <= 1e-12 * max(1, system.rightHandSideNorm),
                sourceLocation: sourceLocation)
    }

    // MARK: MINRES

    @Test(arguments: [false, true])
    func minresSolvesIndefiniteLaplacian(jacobi: Bool) throws {
        let a = KrylovFixture.indefiniteLaplacian()
        try expectSolves(a, with: MINRES(preconditioner: jacobi ? JacobiPreconditioner() : nil), tolerance: 1e-8)
        try expectSolves(a, with: MINRES(preconditioner: jacobi ? JacobiPreconditioner() : nil))
    }

    @Test func minresSolvesSaddlePoint() throws {
        try expectSolves(KrylovFixture.saddlePoint(), with: MINRES(), tolerance: 1e-8)
        try expectSolves(KrylovFixture.saddlePoint(), with: MINRES())
        // Negative diagonal entries: Jacobi must scale by |diag| to stay positive definite.
        try expectSolves(KrylovFixture.saddlePoint(regularisation: 0.1), with: MINRES(preconditioner: JacobiPreconditioner()))
    }

    @Test func minresJacobiNamesAMissingDiagonal() throws {
        let system = try KrylovFixture.system(KrylovFixture.saddlePoint())
        let error = try #require(throws: SolverError.self) { try MINRES(preconditioner: JacobiPreconditioner()).restart(system) }
        #expect(error.code == .zeroDiagonal)
    }

    @Test func minresSolvesSPDFixtures() throws {
        for fixture in [MethodFixture.shiftedLaplacian, .planExample] {
            let system = try fixture.makeSystem()
            let report = try SolveDriver.run(system, method: MINRES(preconditioner: IncompleteFactorization()), options: Self.options)
            #expect(report.status == .converged, "\(fixture): \(report)")
            let reference = try #require(DenseReference.solve(system.matrix, system.b))
            #expect(DenseReference.maxDifference(system.x, reference) <= 1e-7 * (reference.map(abs).max() ?? 1))
        }
    }

    @Test func minresNames() throws {
        #expect(MINRES().name == "minres")
        let method = MINRES(preconditioner: JacobiPreconditioner())
        #expect(method.name == "minres+jacobi")
        #expect((method.preconditioner as? JacobiPreconditioner)?.absolute == true)
    }

    // MARK: GMRES

    @Test(arguments: PreconditionerKind.allCases)
    func gmresSolvesConvectionDiffusion(preconditioner: PreconditionerKind) throws {
        let a = KrylovFixture.convectionDiffusion()
        try expectSolves(a, with: GMRES(preconditioner: preconditioner.makePreconditioner()), tolerance: 1e-8)
        try expectSolves(a, with: GMRES(preconditioner: preconditioner.makePreconditioner()))
        // Short cycles: many restarts, each ending on the exact residual.
        try expectSolves(a, with: GMRES(restart: 5, preconditioner: preconditioner.makePreconditioner()))
    }

    @Test func gmresSolvesIndefiniteLaplacian() throws {
        try expectSolves(KrylovFixture.indefiniteLaplacian(), with: GMRES(restart: 60))
    }

    /// GMRES(1) (minimal residual steepest descent) converges only when the field of values excludes 0, which the
    /// random matrix's mixed-sign diagonal breaks; so it runs on the other fixtures.
    @Test(arguments: [1, 30])
    func gmresSolvesMethodFixtures(restart: Int) throws {
        let fixtures: [MethodFixture] = restart == 1 ? [.pageRank, .planExample, .shiftedLaplacian] : MethodFixture.allCases
        for fixture in fixtures {
            let system = try fixture.makeSystem()
            let report = try SolveDriver.run(system, method: GMRES(restart: restart), options: Self.options)
            #expect(report.status == .converged, "\(fixture): \(report)")
            let reference = try #require(DenseReference.solve(system.matrix, system.b))
            #expect(DenseReference.maxDifference(system.x, reference) <= 1e-7 * (reference.map(abs).max() ?? 1))
        }
    }

    @Test func gmresNames() throws {
        #expect(GMRES().name == "gmres(30)")
        #expect(GMRES(restart: 10, preconditioner: JacobiPreconditioner()).name == "gmres(10)+jacobi")
        let method = GMRES(preconditioner: PreconditionerKind.ilu.makePreconditioner())
        try method.restart(try KrylovFixture.system(KrylovFixture.convectionDiffusion()))
        #expect(method.name == "gmres(30)+ilu0")
    }

    // MARK: Both

    static let configurations: [String] = ["minres", "minres+jacobi", "gmres", "gmres+jacobi", "gmres+ilu", "gmres(4)"]

    static func make(_ configuration: String) -> any IterativeMethod {
        switch configuration {
        case "minres": MINRES()
        case "minres+jacobi": MINRES(preconditioner: JacobiPreconditioner())
        case "gmres": GMRES()
        case "gmres+jacobi": GMRES(preconditioner: JacobiPreconditioner())
        case "gmres+ilu": GMRES(preconditioner: IncompleteFactorization())
        default: GMRES(restart: 4)
        }
    }

    /// A symmetric matrix for MINRES, a nonsymmetric one for GMRES.
    static func matrix(for configuration: String) -> CSRMatrix {
        configuration.hasPrefix("minres") ? KrylovFixture.indefiniteLaplacian() : KrylovFixture.convectionDiffusion()
    }

    @Test(arguments: configurations)
    func stepLeavesResidualConsistent(configuration: String) throws {
        let system = try KrylovFixture.system(Self.matrix(for: configuration))
        let method = Self.make(configuration)
        try method.restart(system)
        let initial = system.residualNorm
        for _ in 0..<12 {
            let step = method.step(system)
            #expect(step.breakdown == nil)
            #expect(step.flops > 0)
            let recurrence = system.r
            let recurrenceNormSquared = system.residualNormSquared
            let exact = try LiveSystem(matrix: system.matrix, b: system.b, x0: system.x)
            #expect(DenseReference.maxDifference(recurrence, exact.r) <= 1e-12 * system.rightHandSideNorm)
            #expect(abs(recurrenceNormSquared.squareRoot() - exact.residualNorm) <= 1e-12 * system.rightHandSideNorm)
        }
        #expect(system.residualNorm < initial)
    }

    @Test(arguments: configurations)
    func warmStartFromConvergedTakesAtMostOneStep(configuration: String) throws {
        let system = try KrylovFixture.system(Self.matrix(for: configuration))
        let method = Self.make(configuration)
        let first = try SolveDriver.run(system, method: method, options: Self.options)
        #expect(first.status == .converged, "\(first)")
        // The same method object (restarted by the driver) and a fresh one.
        for method in [method, Self.make(configuration)] {
            let again = try SolveDriver.run(system, method: method, options: Self.options)
            #expect(again.status == .converged)
            #expect(again.iterations <= 1)
        }
    }

    @Test(arguments: configurations)
    func warmRestartAfterRightHandSideChangeReconverges(configuration: String) throws {
        let system = try KrylovFixture.system(Self.matrix(for: configuration))
        let method = Self.make(configuration)
        _ = try SolveDriver.run(system, method: method, options: Self.options)
        try system.addToRightHandSide(5, 2.0)
        try system.addToRightHandSide(100, -1.5)
        let report = try SolveDriver.run(system, method: method, options: Self.options)
        #expect(report.status == .converged, "\(report)")
        let reference = try #require(DenseReference.solve(system.matrix, system.b))
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-6 * (reference.map(abs).max() ?? 1))
    }

    /// A first step that cannot reduce the residual (zero Rayleigh quotient) is not a breakdown: the second solves.
    @Test(arguments: configurations)
    func zeroFirstStepIsNoBreakdown(configuration: String) throws {
        let symmetric = configuration.hasPrefix("minres")
        let a = denseMatrix(symmetric ? [[0, 1], [1, 0]] : [[0, 1], [-1, 0]])
        let system = try LiveSystem(matrix: a, b: [1, 0])
        let method = Self.make(configuration)
        if configuration.hasSuffix("jacobi") || configuration.hasSuffix("ilu") {
            // Both need a nonzero diagonal.
            #expect(throws: SolverError.self) { try method.restart(system) }
            return
        }
        let report = try SolveDriver.run(system, method: method, options: Self.options)
        #expect(report.status == .converged, "\(report)")
        #expect(report.iterations <= 2)
        #expect(DenseReference.maxDifference(system.x, [0, 1]) < 1e-12)
    }

    // MARK: Singular systems end with a status

    /// A matrix whose stored entries are all zero.
    static func zeroMatrix(_ n: Int) -> CSRMatrix {
        var t = COOTriplets(rows: n, cols: n)
        for i in 0..<n { t.append(row: i, col: i, value: 0) }
        return t.toCSR()
    }

    @Test(arguments: ["minres", "gmres", "gmres+jacobi"])
    func zeroMatrixIsABreakdown(configuration: String) throws {
        let system = try LiveSystem(matrix: Self.zeroMatrix(4), b: [1, -2, 3, 0.5])
        let method = Self.make(configuration)
        if configuration.hasSuffix("jacobi") {
            #expect(throws: SolverError.self) { try method.restart(system) }
            return
        }
        let report = try SolveDriver.run(system, method: method, options: Self.options)
        #expect(report.status == .breakdown, "\(report)")
        #expect(report.detail?.contains("singular") == true)
        #expect(system.x.allSatisfy { $0.isFinite })
    }

    @Test(arguments: ["minres", "gmres", "gmres(4)"])
    func singularSystemsEndWithAStatus(configuration: String) throws {
        // b in the range of a singular A: a solution exists and is found.
        let ones = denseMatrix([[1, 1], [1, 1]])
        let consistent = try LiveSystem(matrix: ones, b: [1, 1])
        let solved = try SolveDriver.run(consistent, method: Self.make(configuration), options: Self.options)
        #expect(solved.status == .converged, "\(solved)")
        #expect(DenseReference.maxDifference(consistent.x, [0.5, 0.5]) < 1e-12)

        // b not in the range: no solution; the run must still stop with a final status and finite x.
        let inconsistent = try LiveSystem(matrix: ones, b: [1, 0])
        let report = try SolveDriver.run(inconsistent, method: Self.make(configuration), options: Self.options)
        #expect(report.status != .converged && report.status.isFinal, "\(report)")
        #expect(report.relativeResidual <= 1 + 1e-9)
        #expect(inconsistent.x.allSatisfy { $0.isFinite })

        // Larger singular cases: Neumann Laplacians (constants in the null space), b with a null-space component.
        // Side 12 ends MINRES on its least-squares test, side 20 on its condition estimate.
        for side in [12, 20] {
            let large = try KrylovFixture.system(Self.neumannLaplacian(side: side))
            let ended = try SolveDriver.run(large, method: Self.make(configuration), options: Self.options)
            #expect(ended.status != .converged && ended.status.isFinal, "\(ended)")
            // It stops near the least-squares residual, not after a jump along the null space.
            #expect(ended.relativeResidual <= 1, "\(ended)")
            if configuration == "minres" {
                #expect(ended.status == .breakdown && ended.detail?.contains("not in its range") == true, "\(ended)")
            }
            #expect(large.x.allSatisfy { $0.isFinite })
        }
    }

    /// Graph Laplacian of the grid: symmetric, singular, `A·1 = 0`.
    static func neumannLaplacian(side: Int) -> CSRMatrix {
        let n = side * side
        var t = COOTriplets(rows: n, cols: n)
        for gy in 0..<side {
            for gx in 0..<side {
                let i = gy * side + gx
                let neighbours = [(gy > 0, i - side), (gx > 0, i - 1), (gx < side - 1, i + 1), (gy < side - 1, i + side)]
                    .filter(\.0).map(\.1)
                for j in neighbours { t.append(row: i, col: j, value: -1) }
                t.append(row: i, col: i, value: Double(neighbours.count))
            }
        }
        return t.toCSR()
    }
}
