import Testing
@testable import SolverCore
import SolverTestSupport

/// `MemoryBreakdown` figures against what the data structures hold for known matrices: every array's payload
/// (count × stride), give or take the allocator's rounding of its capacity.
@Suite struct MemoryAccountingTests {
    let matrix = MatrixGenerators.laplacian2D(side: 20, shift: 1)  // n = 400, nnz = 1,920
    var n: Int { matrix.rows }
    var nnz: Int { matrix.nnz }

    /// `bytes` is the payload of `arrays` arrays rounded up by at most 64 bytes each (malloc's usable size).
    func expectHolds(_ bytes: Int, payload: Int, arrays: Int, _ what: String) {
        #expect(bytes >= payload && bytes <= payload + 64 * arrays, "\(what): \(bytes) for a payload of \(payload)")
    }

    @Test func liveSystemOfASymmetricMatrixHoldsOneCopyOfA() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        system.prepareForLocalUpdates()
        var memory = MemoryBreakdown()
        system.accountMemory(&memory)
        // Row pointers (4 B), column indices (4 B), values (8 B), the diagonal index (4 B a row).
        expectHolds(memory.matrix, payload: (n + 1) * 4 + nnz * 12 + n * 4, arrays: 4, "matrix")
        #expect(memory.transpose == 0)
        // b, x, r and a sum tree with one leaf per 8 rows (64 leaves for 400 rows: 2 · 64 nodes).
        expectHolds(memory.vectors, payload: 3 * n * 8 + 2 * 64 * 8, arrays: 4, "vectors")
        #expect(memory.workspace == 0 && memory.preconditioner == 0 && memory.livePush == 0)
        #expect(system.columns == system.matrix)
    }

    @Test func theColumnCopyExistsOnlyWhileAIsNotSymmetric() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        try system.setEntry(row: 0, col: 1, to: -0.5)
        system.prepareForLocalUpdates()
        var memory = MemoryBreakdown()
        system.accountMemory(&memory)
        expectHolds(memory.transpose, payload: (n + 1) * 4 + nnz * 12, arrays: 3, "transpose")
        #expect(system.columns[1, 0] == -0.5 && system.columns[0, 1] == -1)
        try system.setEntry(row: 1, col: 0, to: -0.5)  // symmetric again
        _ = system.columns
        memory = MemoryBreakdown()
        system.accountMemory(&memory)
        #expect(memory.transpose == 0)
    }

    @Test func cgWithIC0HoldsLOnceAndFreesItsVectorsWhenReleased() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        let cg = ConjugateGradient(preconditioner: IncompleteFactorization())
        try cg.restart(system)
        _ = cg.step(system)
        var memory = MemoryBreakdown()
        cg.accountMemory(&memory, system: system)
        // L: the lower triangle with the diagonal, (nnz + n) / 2 entries; no transposed copy.
        expectHolds(memory.preconditioner, payload: (n + 1) * 4 + (nnz + n) / 2 * 12, arrays: 3, "ic0")
        expectHolds(memory.workspace, payload: 3 * n * 8, arrays: 3, "cg vectors")
        cg.releaseWorkspace()
        memory = MemoryBreakdown()
        cg.accountMemory(&memory, system: system)
        #expect(memory.workspace == 0 && memory.preconditioner > 0)
        try cg.restart(system)  // a new solve rebuilds them
        iterate(cg, on: system, tolerance: 1e-10)
        #expect(system.relativeResidual <= 1e-10)
    }

    @Test func ic0MatchesTheDenseSolveOfLLt() throws {
        // Lᵀ is applied from L by columns: the result must equal forward then backward substitution with Lᵀ.
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        let ic0 = IncompleteCholesky0()
        try ic0.prepare(for: system)
        let l = try IncompleteCholesky0.factor(system.matrix, diagonalPositions: system.diagonalPositions)
        let r = MatrixGenerators.randomVector(n, seed: 4)
        var z = [Double](repeating: 0, count: n)
        ic0.apply(r, into: &z)
        // M z = L Lᵀ z must give back r.
        var lt = [Double](repeating: 0, count: n)
        SparseKernels.multiply(l.transposed(), z, into: &lt)
        var back = [Double](repeating: 0, count: n)
        SparseKernels.multiply(l, lt, into: &back)
        #expect(DenseReference.maxDifference(back, r) < 1e-12)
    }

    @Test func adaptiveSolverReleasesTheGlobalVectorsOnConvergence() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        let solver = AdaptiveSolver(global: ConjugateGradient(preconditioner: JacobiPreconditioner()))
        try solver.restart(system)
        iterate(solver, on: system, tolerance: 1e-10)
        solver.didConverge()
        var memory = MemoryBreakdown()
        solver.accountMemory(&memory, system: system)
        #expect(memory.workspace == 0 && memory.livePush == 0)
        expectHolds(memory.preconditioner, payload: n * 8, arrays: 1, "jacobi")
        #expect(memory.total == memory.components.reduce(0) { $0 + $1.bytes })
        try system.addToRightHandSide(7, 0.5)
        try solver.restart(system)  // the next global solve rebuilds the vectors
        iterate(solver, on: system, tolerance: 1e-10)
        #expect(system.relativeResidual <= 1e-10)
    }

    /// 6 bytes of marks a row; the queue and the two row lists start at 256 slots and grow (to n at most) only as
    /// far as the push spreads.
    @Test func pushHoldsSixBytesARowAndListsAsLongAsItsReach() throws {
        let system = try LiveSystem(matrix: matrix, b: MatrixGenerators.randomVector(n))
        let push = ForwardPush()
        var memory = MemoryBreakdown()
        push.accountMemory(&memory, system: system)
        #expect(memory.livePush == 0)
        try push.restart(system)
        push.accountMemory(&memory, system: system)
        expectHolds(memory.livePush, payload: n * 6 + 3 * 256 * 4, arrays: 4, "push after restart")
        iterate(push, on: system, tolerance: 1e-10)  // a cold solve reaches every row
        #expect(system.relativeResidual <= 1e-10)
        memory = MemoryBreakdown()
        push.accountMemory(&memory, system: system)
        expectHolds(memory.livePush, payload: n * 18, arrays: 4, "push after a cold solve")
    }

    @Test func arraySharingIsCountedOnce() {
        let a = [Double](repeating: 1, count: 100)
        var b = a
        #expect(MemoryAccounting.bytes(b, unlessSharedWith: a) == 0)
        b[0] = 2  // copy on write: b has its own buffer now
        #expect(MemoryAccounting.bytes(b, unlessSharedWith: a) >= 800)
    }
}
