import Testing
@testable import SolverCore
import SolverTestSupport

/// Runs `method` until ‖r‖ ≤ tol·‖b‖ or `maxSteps`; returns the steps taken.
@discardableResult
func iterate(_ method: any IterativeMethod, on system: LiveSystem, tolerance: Double = 1e-10, maxSteps: Int = 10_000) -> Int {
    for step in 0..<maxSteps {
        if system.residualNorm <= tolerance * system.rightHandSideNorm { return step }
        let result = method.step(system)
        if result.breakdown != nil { return step }
    }
    return maxSteps
}

@Suite struct LiveSystemTests {
    let matrix = MatrixGenerators.laplacian2D(side: 12, shift: 0.5)

    @Test func incrementalUpdatesKeepTheResidualExact() throws {
        let b = MatrixGenerators.randomVector(matrix.rows)
        let system = try LiveSystem(matrix: matrix, b: b, x0: MatrixGenerators.randomVector(matrix.rows, seed: 9))
        try system.addToRightHandSide(5, 0.25)
        try system.setEntry(row: 3, col: 4, to: -1.5, expectedOldValue: -1)
        try system.setEntry(row: 7, col: 100, to: 0.125)  // a new nonzero
        let maintained = system.r
        let maintainedNorm = system.residualNorm
        system.recomputeResidual()
        #expect(DenseReference.maxDifference(maintained, system.r) < 1e-12)
        #expect(abs(maintainedNorm - system.residualNorm) < 1e-12)
        #expect(system.matrix[7, 100] == 0.125)
        #expect(system.columns[100, 7] == 0.125)
        #expect(system.b[5] == b[5] + 0.25)
    }

    @Test func oldValueMismatchChangesNothing() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(matrix.rows))
        let before = (system.r, system.matrix)
        #expect(throws: SolverError.self) {
            try system.setEntry(row: 0, col: 1, to: 3, expectedOldValue: 2)
        }
        #expect(system.r == before.0 && system.matrix == before.1)
        do {
            try system.setEntry(row: 0, col: 1, to: 3, expectedOldValue: 2)
        } catch let error as SolverError {
            #expect(error.code == .oldValueMismatch)
            #expect(error.field == "matrix_updates.old_value")
        }
    }

    @Test func updatesRejectOutOfRangeIndicesAndNonFiniteValues() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(matrix.rows))
        #expect(throws: SolverError.self) { try system.addToRightHandSide(matrix.rows, 1) }
        #expect(throws: SolverError.self) { try system.addToRightHandSide(0, .nan) }
        #expect(throws: SolverError.self) { try system.setEntry(row: -1, col: 0, to: 1) }
        #expect(throws: SolverError.self) { try system.setEntry(row: 0, col: 0, to: .infinity) }
    }

    @Test(arguments: ["laplacian", "dominant", "pagerank"])
    func pushFromColdMatchesDenseSolve(_ kind: String) throws {
        let a: CSRMatrix = switch kind {
        case "laplacian": matrix
        case "dominant": MatrixGenerators.randomDiagonallyDominant(n: 150)
        default: MatrixGenerators.pageRank(n: 150)
        }
        let b = MatrixGenerators.randomVector(a.rows)
        let system = try LiveSystem(matrix: a, b: b)
        let push = ForwardPush(workQuantum: 256)
        try push.restart(system)
        iterate(push, on: system, tolerance: 1e-11)
        let reference = try #require(DenseReference.solve(a, b))
        #expect(DenseReference.maxDifference(system.x, reference) < 1e-8)
        #expect(system.relativeResidual <= 1e-11)
    }

    @Test func localReconvergenceEqualsColdSolveOfTheUpdatedSystem() throws {
        let b = MatrixGenerators.randomVector(matrix.rows)
        let system = try LiveSystem(matrix: matrix, b: b)
        let solver = AdaptiveSolver(global: ForwardPush())
        try solver.restart(system)
        iterate(solver, on: system, tolerance: 1e-12)
        solver.didConverge()

        try system.addToRightHandSide(17, 0.5)
        try system.addToRightHandSide(60, -0.25)
        try system.setEntry(row: 30, col: 30, to: 5.0, expectedOldValue: 4.5)
        try solver.updatesApplied(system)
        #expect(solver.mode == .localPush)
        iterate(solver, on: system, tolerance: 1e-12)

        var updatedB = b
        updatedB[17] += 0.5
        updatedB[60] -= 0.25
        var t = COOTriplets(rows: matrix.rows, cols: matrix.cols)
        for i in 0..<matrix.rows {
            for k in matrix.rowPointers[i]..<matrix.rowPointers[i + 1] {
                let j = Int(matrix.colIndices[k])
                t.append(row: i, col: j, value: (i, j) == (30, 30) ? 5.0 : matrix.values[k])
            }
        }
        let reference = try #require(DenseReference.solve(t.toCSR(), updatedB))
        #expect(DenseReference.maxDifference(system.x, reference) < 1e-9)
        // The maintained residual is still the true one.
        let maintained = system.residualNorm
        #expect(abs(system.recomputeResidual() - maintained) < 1e-12)
    }

    @Test func globalChangeFallsBackToTheGlobalMethod() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(matrix.rows))
        let solver = AdaptiveSolver(global: ForwardPush())
        try solver.restart(system)
        iterate(solver, on: system)
        for i in 0..<matrix.rows { try system.addToRightHandSide(i, 0.1) }
        try solver.updatesApplied(system)
        #expect(solver.mode == .globalWarmStart)
    }

    @Test func probesDetectACorruptedResidual() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(matrix.rows))
        let clean = try system.probe(rows: [1, 2, 3])
        #expect(clean.maxAbsoluteError < 1e-14)
        system.corruptSolution(row: 2, to: 10)
        let dirty = try system.probe(rows: [1, 2, 3])
        #expect(dirty.maxAbsoluteError > 1)
        #expect(dirty.relativeDisagreement(floor: 1e-12) > 0.1)
        #expect(throws: SolverError.self) { try system.probe(rows: [matrix.rows]) }
    }
}
