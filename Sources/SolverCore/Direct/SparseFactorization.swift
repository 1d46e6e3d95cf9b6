/// Which sparse direct factorisation, and the SuiteSparse routine behind it.
public enum FactorizationKind: String, Sendable, CaseIterable, Codable {
    /// CHOLMOD supernodal `LLᵀ`: symmetric positive definite matrices.
    case cholesky
    /// CHOLMOD simplicial `LDLᵀ` without pivoting: symmetric indefinite and quasi-definite matrices.
    case ldlt
    /// KLU (BTF + AMD, partial pivoting): any square matrix; the circuit and power-system workhorse. Heavy fill
    /// (meshes) goes to UMFPACK's multifrontal LU instead.
    case lu

    /// The method name clients use for it.
    public var method: MethodKind {
        switch self {
        case .cholesky: return .cholesky
        case .ldlt: return .ldlt
        case .lu: return .lu
        }
    }
}

/// What the symbolic analysis predicts before any numeric work: the fill, the work and the memory of the factor.
public struct FactorizationEstimate: Sendable, Equatable {
    public var kind: FactorizationKind
    /// The fill-reducing ordering the analysis chose (`amd`, `metis`, `nesdis`, `colamd`, …).
    public var ordering: String
    /// Predicted entries of the factor (`L`, or `L` + `U` + off-diagonal blocks for LU).
    public var factorNonzeros: Int
    /// Predicted floating-point operations of the numeric factorisation.
    public var factorFlops: Double
    /// Predicted bytes the numeric factor and its solve workspace hold.
    public var bytes: Int
    public var analysisSeconds: Double

    /// Flops of one solve with the factor: a multiply-add per factor entry in each triangular sweep.
    public var solveFlops: Double { 4 * Double(factorNonzeros) }
}

/// A sparse direct factorisation of one matrix pattern: analysed once (ordering, fill, memory) and factored
/// numerically as often as the values change.
///
/// Contract: `factor` takes a matrix with exactly the analysed pattern (the rows and column indices the analysis
/// saw); a new pattern needs a new analysis. `solve` overwrites `rhs` with `A⁻¹ rhs` for the last factored values.
/// Not thread-safe: one owner (a session's queue) serialises every call.
public protocol SparseFactorization: AnyObject {
    var estimate: FactorizationEstimate { get }
    var isFactored: Bool { get }
    /// Entries of the numeric factor (the prediction until `factor` ran).
    var factorNonzeros: Int { get }
    /// Bytes held now (the prediction until `factor` ran).
    var bytes: Int { get }
    /// Numeric factorisation. `reuse` keeps what the previous numeric factorisation decided that is not the
    /// values' business (KLU's pivot order); pass false after a refactorisation proved inaccurate.
    func factor(_ matrix: CSRMatrix, reuse: Bool) throws
    func solve(_ rhs: inout [Double]) throws
    /// Solves for `count` right-hand sides at once, stored column after column in `columns` (n · count values): one
    /// pass over the factor serves them all, far cheaper than `count` single solves.
    func solve(columns: inout [Double], count: Int) throws
    /// `A⁻¹ b` for `b` holding `values` at `rows` and zeros elsewhere, when the factor can exploit that sparsity
    /// (a forward solve over the elimination-tree reach only); nil when it cannot or the reach is too large.
    func solveSparse(rows: [Int], values: [Double]) throws -> [Double]?
}

extension SparseFactorization {
    public func solve(_ rhs: inout [Double]) throws { try solve(columns: &rhs, count: 1) }
    public func solveSparse(rows: [Int], values: [Double]) throws -> [Double]? { nil }
}

/// Symbolic analysis of a matrix for one factorisation kind, with the memory limit applied before any numeric work.
public enum SparseFactorizations {
    /// Default limit on one factor's predicted bytes when the caller sets none: 4 GiB.
    public static let defaultByteLimit = 4 << 30

    /// Orders and analyses `matrix` for `kind`; throws `factorization_too_large` (naming the predicted bytes and the
    /// limit) when the predicted factor exceeds `byteLimit`, and `factorization_failed` when the library refuses.
    public static func analyze(_ matrix: CSRMatrix, kind: FactorizationKind,
                               byteLimit: Int = defaultByteLimit) throws -> any SparseFactorization {
        guard matrix.isSquare else {
            throw SolverError(.notSquare, "a factorisation needs a square matrix", field: "matrix")
        }
        guard matrix.nnz < Int(Int32.max), matrix.rows < Int(Int32.max) else {
            throw SolverError(.factorizationTooLarge,
                              "\(matrix.nnz) nonzeros exceed the 32-bit indices of the direct solvers", field: "matrix")
        }
        let factorization: any SparseFactorization = switch kind {
        case .cholesky, .ldlt: try CholmodFactorization(matrix, kind: kind)
        case .lu: try luFactorization(matrix)
        }
        let predicted = factorization.estimate.bytes
        guard predicted <= byteLimit else {
            throw SolverError(.factorizationTooLarge,
                              "the \(kind.rawValue) factor is predicted to need \(predicted) bytes (nnz(L) \(factorization.estimate.factorNonzeros), ordering \(factorization.estimate.ordering)) but the limit is \(byteLimit) bytes",
                              field: "method")
        }
        return factorization
    }
}

extension SparseFactorizations {
    /// KLU, the circuit and power-system LU, keeps its factors close to the matrix's size; past this many factor
    /// entries per matrix entry (meshes, transport problems) UMFPACK's multifrontal BLAS kernels win.
    static let kluFillLimit = 8.0

    /// KLU when its predicted fill is small, else UMFPACK (analysed only then).
    static func luFactorization(_ matrix: CSRMatrix) throws -> any SparseFactorization {
        let klu = try KLUFactorization(matrix)
        guard Double(klu.estimate.factorNonzeros) > kluFillLimit * Double(matrix.nnz), matrix.rows > 5_000 else { return klu }
        return try UMFPACKFactorization(matrix, fill: klu.estimate)
    }
}

extension CSRMatrix {
    /// The row pointers as 32-bit ints, for the SuiteSparse int interface (checked to fit by `analyze`).
    var rowPointers32: [Int32] { rowPointers.map { Int32(truncatingIfNeeded: $0) } }

    /// Whether `other` has exactly this pattern (the analysis of one serves the other).
    public func hasSamePattern(as other: CSRMatrix) -> Bool {
        rows == other.rows && cols == other.cols && rowPointers == other.rowPointers && colIndices == other.colIndices
    }
}
