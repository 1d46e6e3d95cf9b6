/// Incomplete LU ILU(0) `M = L U` on the pattern of `A` (unit lower `L`, upper `U` holding the diagonal): the
/// general-purpose preconditioner for nonsymmetric matrices. A zero pivot throws `preconditioner_breakdown`.
public final class IncompleteLU0: Preconditioner {
    public var name: String { "ilu0" }
    /// `L` (strictly below the diagonal) and `U` (from the diagonal) stored in one matrix with `A`'s pattern.
    private var factors: CSRMatrix?
    private var diagonalPositions: [Int32] = []
    private var stamp = PreconditionerBuildStamp()

    public init() {}

    public var flopsPerApplication: Int { 2 * (factors?.nnz ?? 0) }

    /// The factors' values; their pattern and diagonal index are `A`'s until `A`'s structure changes.
    public func memoryBytes(besides system: LiveSystem) -> Int {
        (factors?.memoryBytes(unlessSharedWith: system.matrix) ?? 0)
            + MemoryAccounting.bytes(diagonalPositions, unlessSharedWith: system.diagonalPositions)
    }

    public func prepare(for system: LiveSystem) throws {
        system.prepareForMethod()
        guard stamp.isStale(for: system) else { return }
        stamp.invalidate()
        factors = nil  // the old factors go before the new ones are built, not after
        try system.checkDiagonal()  // names a zero or missing diagonal before anything else
        factors = try Self.factor(system.matrix, diagonalPositions: system.diagonalPositions)
        diagonalPositions = system.diagonalPositions
        stamp.markBuilt(for: system)
    }

    public func apply(_ r: [Double], into z: inout [Double]) {
        guard let factors else { preconditionFailure("IncompleteLU0.apply before prepare") }
        TriangularKernels.forwardSubstitute(factors, diagonalPositions: diagonalPositions, unitDiagonal: true, r, into: &z)
        TriangularKernels.backwardSubstitute(factors, diagonalPositions: diagonalPositions, &z)
    }

    /// IKJ-ordered ILU(0): for each row `i` and each stored `k < i` in order, `a_ik /= u_kk`, then
    /// `a_ij −= a_ik u_kj` for the stored `j > k` of row `i`.
    static func factor(_ a: CSRMatrix, diagonalPositions: [Int32]) throws -> CSRMatrix {
        let n = a.rows
        var lu = a
        // positionInRow[c] is where column c sits in the row being factored, -1 elsewhere.
        var positionInRow = [Int](repeating: -1, count: n)
        for i in 0..<n {
            let rowRange = a.rowPointers[i]..<a.rowPointers[i + 1]
            for k in rowRange { positionInRow[Int(a.colIndices[k])] = k }
            for k in a.rowPointers[i]..<Int(diagonalPositions[i]) {
                let c = Int(a.colIndices[k])
                let factor = lu.values[k] / lu.values[Int(diagonalPositions[c])]
                lu.values[k] = factor
                for m in (Int(diagonalPositions[c]) + 1)..<a.rowPointers[c + 1] {
                    let position = positionInRow[Int(a.colIndices[m])]
                    if position >= 0 { lu.values[position] -= factor * lu.values[m] }
                }
            }
            for k in rowRange { positionInRow[Int(a.colIndices[k])] = -1 }
            let pivot = lu.values[Int(diagonalPositions[i])]
            guard pivot != 0, pivot.isFinite else {
                throw SolverError.preconditionerBreakdown(
                    "ILU(0) pivot at row \(i) is \(pivot): the incomplete factorisation broke down; use jacobi or no preconditioner")
            }
        }
        return lu
    }
}
