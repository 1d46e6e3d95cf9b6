/// Structural facts about a system's matrix that decide which methods and preconditioners apply: size, symmetry,
/// the sign of the diagonal and diagonal dominance by rows and by columns. O(nnz) to compute; `MethodSelector`
/// and `IncompleteFactorization` compute it once per `matrixVersion` (see `isCurrent(for:)`).
public struct MatrixProperties: Sendable, Equatable {
    /// How strongly the diagonal dominates: strict (`|a_ii| > Σ_{j≠i} |a_ij|` for every row), weak (`≥`), or not.
    public enum Dominance: String, Sendable, Equatable {
        case strict
        case weak
        case none
    }

    public let n: Int
    public let nnz: Int
    /// `|a_ij − a_ji| ≤ symmetryTolerance · max(|a_ij|, |a_ji|)` for every pair.
    public let isSymmetric: Bool
    public let symmetryTolerance: Double
    /// Every diagonal entry is stored and `> 0`.
    public let hasPositiveDiagonal: Bool
    /// Every diagonal entry is stored and non-zero (Jacobi, Gauss–Seidel, Neumann and the factorisations need it).
    public let hasNonzeroDiagonal: Bool
    /// Some off-diagonal entry is positive. With a positive diagonal this is where indefiniteness hides in
    /// Laplacian-like matrices (negative edge weights: series compensation, three-winding transformer star points),
    /// so it is the planner's evidence against trying Cholesky first.
    public let hasPositiveOffDiagonal: Bool
    public let rowDominance: Dominance
    public let columnDominance: Dominance
    /// `min_i |a_ii| / Σ_{j≠i} |a_ij|` (∞ for a diagonal matrix); `> 1` means strictly row dominant.
    public let minimumRowDominanceRatio: Double
    /// The same over columns.
    public let minimumColumnDominanceRatio: Double
    /// The `matrixVersion` these facts describe.
    public let matrixVersion: Int

    /// Computes the properties of `system`'s current matrix (merging pending insertions first). O(nnz).
    public init(system: LiveSystem, symmetryTolerance: Double = 1e-10) {
        system.compact()
        let a = system.matrix
        n = a.rows
        nnz = a.nnz
        self.symmetryTolerance = symmetryTolerance
        matrixVersion = system.matrixVersion
        let diagonal = system.diagonalPositions.map { $0 >= 0 ? a.values[Int($0)] : 0 }
        hasPositiveDiagonal = diagonal.allSatisfy { $0 > 0 }
        hasNonzeroDiagonal = diagonal.allSatisfy { $0 != 0 }
        hasPositiveOffDiagonal = (0..<a.rows).contains { i in
            (a.rowPointers[i]..<a.rowPointers[i + 1]).contains { a.values[$0] > 0 && Int(a.colIndices[$0]) != i }
        }
        isSymmetric = Self.isSymmetric(a, transpose: system.columns, tolerance: symmetryTolerance)
        minimumRowDominanceRatio = Self.minimumDominanceRatio(a, diagonal: diagonal)
        minimumColumnDominanceRatio = Self.minimumDominanceRatio(system.columns, diagonal: diagonal)
        rowDominance = Dominance(ratio: minimumRowDominanceRatio)
        columnDominance = Dominance(ratio: minimumColumnDominanceRatio)
    }

    /// True when these facts still describe `system`'s matrix.
    public func isCurrent(for system: LiveSystem) -> Bool {
        system.matrixVersion == matrixVersion && system.dimension == n
    }

    /// Compares row `i` of `A` with row `i` of `Aᵀ` by merging the two sorted rows; a missing entry counts as 0.
    static func isSymmetric(_ a: CSRMatrix, transpose t: CSRMatrix, tolerance: Double) -> Bool {
        func close(_ u: Double, _ v: Double) -> Bool { abs(u - v) <= tolerance * max(abs(u), abs(v)) }
        for i in 0..<a.rows {
            var k = a.rowPointers[i]
            let kEnd = a.rowPointers[i + 1]
            var m = t.rowPointers[i]
            let mEnd = t.rowPointers[i + 1]
            while k < kEnd || m < mEnd {
                let ca = k < kEnd ? a.colIndices[k] : .max
                let ct = m < mEnd ? t.colIndices[m] : .max
                if ca == ct {
                    guard close(a.values[k], t.values[m]) else { return false }
                    k += 1; m += 1
                } else if ca < ct {
                    guard close(a.values[k], 0) else { return false }
                    k += 1
                } else {
                    guard close(0, t.values[m]) else { return false }
                    m += 1
                }
            }
        }
        return true
    }

    /// `min_i |diag_i| / Σ_{j≠i} |m_ij|` over the rows of `m` (pass `Aᵀ` for columns).
    static func minimumDominanceRatio(_ m: CSRMatrix, diagonal: [Double]) -> Double {
        var minimum = Double.infinity
        for i in 0..<m.rows {
            var offDiagonal = 0.0
            for k in m.rowPointers[i]..<m.rowPointers[i + 1] where Int(m.colIndices[k]) != i {
                offDiagonal += abs(m.values[k])
            }
            let ratio = offDiagonal > 0 ? abs(diagonal[i]) / offDiagonal : (diagonal[i] != 0 ? .infinity : 0)
            minimum = min(minimum, ratio)
        }
        return minimum
    }
}

extension MatrixProperties.Dominance {
    init(ratio: Double) {
        self = ratio > 1 ? .strict : ratio >= 1 ? .weak : .none
    }
}
