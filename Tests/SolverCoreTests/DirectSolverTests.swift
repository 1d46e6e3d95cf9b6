import Testing
@testable import SolverCore
import SolverTestSupport

/// Test systems for the factorisations: SPD, symmetric indefinite (negative-weight edges; a saddle point), nonsymmetric.
enum DirectFixtures {
    /// The 2D Laplacian with a few edges given negative weight: symmetric, positive diagonal, indefinite.
    static func negativeEdges(side: Int = 12) -> CSRMatrix {
        var t = COOTriplets(rows: side * side, cols: side * side)
        func edge(_ i: Int, _ j: Int, _ w: Double) {
            t.append(row: i, col: i, value: w); t.append(row: j, col: j, value: w)
            t.append(row: i, col: j, value: -w); t.append(row: j, col: i, value: -w)
        }
        for y in 0..<side {
            for x in 0..<side {
                let i = y * side + x
                let w = (x + y) % 7 == 3 ? -0.6 : 1.0
                if x + 1 < side { edge(i, i + 1, w) }
                if y + 1 < side { edge(i, i + side, 1) }
                t.append(row: i, col: i, value: 0.01)
            }
        }
        return t.toCSR()
    }

    /// `[[K, Bᵀ], [B, 0]]` with `K` SPD: symmetric, zero diagonal block, indefinite.
    static func saddlePoint(n: Int = 40, m: Int = 10) -> CSRMatrix {
        var t = COOTriplets(rows: n + m, cols: n + m)
        for i in 0..<n {
            t.append(row: i, col: i, value: 4)
            if i + 1 < n { t.append(row: i, col: i + 1, value: -1); t.append(row: i + 1, col: i, value: -1) }
        }
        for k in 0..<m {
            for j in [k, k + m, (3 * k + 1) % n] {
                t.append(row: n + k, col: j, value: 1); t.append(row: j, col: n + k, value: 1)
            }
        }
        return t.toCSR()
    }

    /// Upwind convection–diffusion: nonsymmetric, not diagonally dominant by columns.
    static func convectionDiffusion(side: Int = 12) -> CSRMatrix {
        var t = COOTriplets(rows: side * side, cols: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let i = y * side + x
                t.append(row: i, col: i, value: 4.5)
                if x > 0 { t.append(row: i, col: i - 1, value: -1.5) }
                if x + 1 < side { t.append(row: i, col: i + 1, value: -0.5) }
                if y > 0 { t.append(row: i, col: i - side, value: -1) }
                if y + 1 < side { t.append(row: i, col: i + side, value: -1) }
            }
        }
        return t.toCSR()
    }
}

@Suite struct DirectSolverTests {
    static let options = SolveOptions(tolerance: 1e-12, maxIterations: 50)

    func expectSolves(_ matrix: CSRMatrix, kind: MethodKind) throws -> SolveReport {
        let b = MatrixGenerators.randomVector(matrix.rows)
        let system = try LiveSystem(matrix: matrix, b: b)
        let report = try SolveDriver.run(system, kind: kind, options: Self.options)
        #expect(report.status == .converged, "\(report)")
        let reference = try #require(DenseReference.solve(matrix, b))
        let scale = reference.map(abs).max() ?? 1
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-9 * scale)
        return report
    }

    @Test func choleskySolvesSPD() throws {
        let report = try expectSolves(MatrixGenerators.laplacian2D(side: 15), kind: .cholesky)
        #expect(report.iterations <= 2)
        let factor = try #require(report.factorization)
        #expect(factor.estimate.kind == .cholesky && factor.factorNonzeros > 0 && factor.bytes > 0)
    }

    @Test func ldltSolvesSymmetricIndefinite() throws {
        _ = try expectSolves(DirectFixtures.negativeEdges(), kind: .ldlt)
    }

    @Test func luSolvesNonsymmetricAndSaddlePoint() throws {
        _ = try expectSolves(DirectFixtures.convectionDiffusion(), kind: .lu)
        _ = try expectSolves(DirectFixtures.saddlePoint(), kind: .lu)
    }

    @Test func umfpackSolvesNonsymmetricAndIsChosenForHeavyFill() throws {
        let small = DirectFixtures.convectionDiffusion()
        let klu = try KLUFactorization(small)
        let umfpack = try UMFPACKFactorization(small, fill: klu.estimate)
        try umfpack.factor(small, reuse: false)
        var x = MatrixGenerators.randomVector(small.rows)
        let b = x
        try umfpack.solve(&x)
        let reference = try #require(DenseReference.solve(small, b))
        #expect(DenseReference.maxDifference(x, reference) <= 1e-10 * (reference.map(abs).max() ?? 1))
        // A 100 × 100 mesh fills in far past KLU's limit: `lu` takes UMFPACK and converges.
        let mesh = DirectFixtures.convectionDiffusion(side: 100)
        #expect(try SparseFactorizations.analyze(mesh, kind: .lu).estimate.ordering == "umfpack")
        let system = try LiveSystem(matrix: mesh, b: MatrixGenerators.randomVector(mesh.rows))
        let report = try SolveDriver.run(system, kind: .lu, options: Self.options)
        #expect(report.status == .converged && report.methodName == "lu(umfpack)", "\(report)")
        // A power-grid-like sparse factor stays with KLU.
        #expect(try SparseFactorizations.analyze(small, kind: .lu).estimate.ordering.hasPrefix("btf"))
    }

    @Test func choleskyOnIndefiniteReportsNotPositiveDefinite() throws {
        let system = try LiveSystem(matrix: DirectFixtures.negativeEdges(), b: MatrixGenerators.randomVector(144))
        let report = try SolveDriver.run(system, kind: .cholesky, options: Self.options)
        #expect(report.status == .breakdown)
        #expect(report.detail?.contains("not positive definite") == true, "\(report)")
    }

    @Test func symmetricKindsRefuseNonsymmetricMatrices() throws {
        let system = try LiveSystem(matrix: DirectFixtures.convectionDiffusion(), b: MatrixGenerators.randomVector(144))
        #expect(throws: SolverError.self) { try SolveDriver.run(system, kind: .ldlt, options: Self.options) }
    }

    @Test(arguments: [0, 1, 2])
    func hybridSolvesWhatAFactorisationSolves(fixture: Int) throws {
        let matrix = [DirectFixtures.negativeEdges(), DirectFixtures.saddlePoint(), DirectFixtures.convectionDiffusion()][fixture]
        let report = try expectSolves(matrix, kind: .hybrid)
        #expect(report.reason?.isEmpty == false)
    }

    @Test func predictedFactorOverTheLimitIsRefusedBeforeFactoring() throws {
        let matrix = MatrixGenerators.laplacian2D(side: 20)
        do {
            _ = try SparseFactorizations.analyze(matrix, kind: .cholesky, byteLimit: 10_000)
            Issue.record("expected factorization_too_large")
        } catch let error as SolverError {
            #expect(error.code == .factorizationTooLarge)
            #expect(error.message.contains("10000 bytes"))
        }
        // Hybrid leaves the factor out and says why.
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(400))
        let report = try SolveDriver.run(system, kind: .hybrid, methodOptions: MethodOptions(factorByteLimit: 10_000),
                                         options: SolveOptions(tolerance: 1e-8))
        #expect(report.status == .converged)
        #expect(report.factorization == nil)
        #expect(report.reason?.contains("limit is 10000 bytes") == true, "\(report.reason ?? "")")
    }

    @Test func hybridWeighsPredictedCostsAndKeepsTheFactorLast() throws {
        // Strongly dominant and large: CG+IC(0)'s few iterations undercut the factor, which stays the last fallback.
        let large = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: 300, shift: 1), b: [Double](repeating: 1, count: 90_000))
        let plan = MethodPlanner.plan(for: large, purpose: .oneShot)
        #expect(plan.first.kind == .cg, "\(plan.first)")
        #expect(plan.choices.last?.kind.factorization != nil)
        #expect(plan.choices.contains { $0.kind == .cholesky })
        // Not dominant (no shift): CG's √n iterations lose to the factor.
        let mesh = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: 300), b: [Double](repeating: 1, count: 90_000))
        #expect(MethodPlanner.plan(for: mesh, purpose: .oneShot).first.kind == .cholesky)
    }
}

/// Live updates through a factor: re-solves of new right-hand sides, low-rank corrections for changed rows of A,
/// refactorisations once they pile up — each compared with a cold dense solve of the final system.
@Suite struct DirectLiveTests {
    func converge(_ system: LiveSystem, _ solver: AdaptiveSolver) {
        let target = 1e-9 * system.rightHandSideNorm
        solver.globalStopNorm = target
        solver.localStopNorm = target
        var steps = 0
        while system.residualNorm > target, steps < 200 {
            let step = solver.step(system)
            #expect(step.breakdown == nil, "\(step)")
            steps += 1
        }
        solver.didConverge()
        system.prepareForLocalUpdates()
    }

    func expectMatchesColdSolve(_ system: LiveSystem) throws {
        let reference = try #require(DenseReference.solve(system.matrix, system.b))
        let scale = reference.map(abs).max() ?? 1
        #expect(DenseReference.maxDifference(system.x, reference) <= 1e-8 * scale)
    }

    @Test(arguments: [MethodKind.ldlt, .lu])
    func manyUpdatesThenTheColdSolution(kind: MethodKind) throws {
        let matrix = DirectFixtures.negativeEdges(side: 10)
        let n = matrix.rows
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        let direct = DirectSolver(kind: kind.factorization!)
        direct.maxCorrectionRank = 6
        let solver = AdaptiveSolver(global: direct)
        try solver.restart(system)
        converge(system, solver)
        var modes: Set<AdaptiveSolver.Mode> = []
        var rng = SplitMix64(seed: 9)
        for round in 0..<30 {
            let i = Int(rng.next() % UInt64(n))
            try system.addToRightHandSide(i, Double(round % 5) - 2)
            if round % 2 == 0 {
                // A symmetric change of one edge, pattern kept.
                let j = i + 1 < n ? i + 1 : i - 1
                let value = system.entry(row: i, col: j) + 0.25
                try system.setEntry(row: i, col: j, to: value)
                try system.setEntry(row: j, col: i, to: value)
            }
            try solver.updatesApplied(system)
            converge(system, solver)
            modes.insert(solver.mode)  // set by the first step, which brings the factor in line
        }
        #expect(modes.contains(.lowRankUpdate), "\(modes)")
        #expect(modes.contains(.refactor), "\(modes)")
        #expect(modes.contains(.factorResolve), "\(modes)")
        try expectMatchesColdSolve(system)
    }

    @Test func aNewNonzeroIsCorrectedThenReanalysed() throws {
        let matrix = MatrixGenerators.laplacian2D(side: 8)
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(64))
        let direct = DirectSolver(kind: .lu)
        let solver = AdaptiveSolver(global: direct)
        try solver.restart(system)
        converge(system, solver)
        try system.setEntry(row: 0, col: 63, to: -0.5)  // outside the pattern
        try solver.updatesApplied(system)
        converge(system, solver)
        #expect(solver.mode == .lowRankUpdate)
        try expectMatchesColdSolve(system)
        direct.maxCorrectionRank = 0
        try system.setEntry(row: 63, col: 0, to: -0.5)
        try solver.updatesApplied(system)
        converge(system, solver)
        #expect(solver.mode == .refactor)
        #expect(direct.lastPath == .analysis)
        try expectMatchesColdSolve(system)
    }

    @Test func lineOutageIsARankCorrectionNotARefactor() throws {
        // The budget compares measured times (two correction solves against one factorisation); at n = 1,600 a
        // factorisation costs many solves, so the choice does not hang on timer noise as it did at n = 144.
        let matrix = MatrixGenerators.laplacian2D(side: 40, shift: 0.001)
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(1600))
        let direct = DirectSolver(kind: .cholesky)
        let solver = AdaptiveSolver(global: direct)
        try solver.restart(system)
        converge(system, solver)
        let (i, j) = (810, 811)
        let w = -system.entry(row: i, col: j)
        try system.setEntry(row: i, col: j, to: 0)
        try system.setEntry(row: j, col: i, to: 0)
        try system.setEntry(row: i, col: i, to: system.entry(row: i, col: i) - w)
        try system.setEntry(row: j, col: j, to: system.entry(row: j, col: j) - w)
        try solver.updatesApplied(system)
        // Chosen now, set up at the first step: the frame reflecting the change need not wait for the solves.
        #expect(solver.mode == .lowRankUpdate)
        #expect(direct.correctionRank == 0)
        _ = solver.step(system)
        #expect(solver.mode == .lowRankUpdate)
        #expect(direct.correctionRank == 2)
        converge(system, solver)
        try expectMatchesColdSolve(system)
    }

    @Test func localChangesOnADominantMatrixTakePush() throws {
        // Large enough (n = 40,000) that a solve with the factor costs more than push's few hundred rows.
        let matrix = MatrixGenerators.laplacian2D(side: 200, shift: 1)
        let system = try LiveSystem(matrix: matrix, b: [Double](repeating: 1, count: 40_000))
        let solver = AdaptiveSolver(global: DirectSolver(kind: .cholesky))
        try solver.restart(system)
        converge(system, solver)
        try system.addToRightHandSide(20_100, 0.5)
        try solver.updatesApplied(system)
        #expect(solver.mode == .localPush, "\(solver.modeReason)")
        converge(system, solver)
        // Too large for the dense reference: the exactly recomputed residual meets the target.
        #expect(system.recomputeResidual() <= 1e-9 * system.rightHandSideNorm)
    }
}
