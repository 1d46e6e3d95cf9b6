import CSuiteSparse

/// CHOLMOD's `LLᵀ` (supernodal where the fill makes it pay, for SPD matrices) or `LDLᵀ` (simplicial, no pivoting, for symmetric indefinite and
/// quasi-definite matrices) of a symmetric matrix, through CHOLMOD's int interface.
///
/// The matrix is handed over without copying: CSR arrays of `A` read as compressed columns describe `Aᵀ`, and with
/// `stype = 1` CHOLMOD reads only its upper triangle, i.e. `A`'s lower one (real data's 1e-13 asymmetry is ignored,
/// as every symmetric solver does). Invariant of the unsafe code: CHOLMOD only reads the arrays it is given, within
/// the `withUnsafe…` scopes that lend them; `common`, `factorPointer` and the dense work vectors are owned here and
/// freed once in `deinit`.
final class CholmodFactorization: SparseFactorization {
    let estimate: FactorizationEstimate
    private let common: UnsafeMutablePointer<cholmod_common>
    private var factorPointer: UnsafeMutablePointer<cholmod_factor>?
    private let rowPointers: [Int32]
    private var solution: UnsafeMutablePointer<cholmod_dense>?
    private var workY: UnsafeMutablePointer<cholmod_dense>?
    private var workE: UnsafeMutablePointer<cholmod_dense>?
    private(set) var isFactored = false
    /// Built at the first sparse solve after a numeric factorisation (the structure is the analysis's).
    private var sparseForward: SupernodalForwardSolve??

    init(_ matrix: CSRMatrix, kind: FactorizationKind) throws {
        precondition(kind != .lu, "KLU factors LU")
        let common = UnsafeMutablePointer<cholmod_common>.allocate(capacity: 1)
        self.common = common
        cholmod_start(common)
        common.pointee.print = 0
        if kind == .cholesky {
            // CHOLMOD's own rule: supernodal (BLAS on dense blocks) once flops per factor entry make it pay, else
            // simplicial — on power grids and other very sparse factors the BLAS calls would cost more than the work.
            common.pointee.supernodal = CHOLMOD_AUTO
            // LLᵀ also when simplicial: an indefinite matrix must be refused, not factored as LDLᵀ behind its name.
            common.pointee.final_ll = 1
        } else {
            common.pointee.supernodal = CHOLMOD_SIMPLICIAL
            common.pointee.final_ll = 0
        }
        let rowPointers = matrix.rowPointers32
        self.rowPointers = rowPointers
        let clock = ContinuousClock()
        let started = clock.now
        let symbolic = Self.withView(matrix, rowPointers) { cholmod_analyze($0, common) }
        let seconds = (clock.now - started).seconds
        guard let symbolic, common.pointee.status >= CHOLMOD_OK else {
            let status = common.pointee.status
            cholmod_finish(common)
            common.deallocate()
            throw SolverError(.factorizationFailed, "CHOLMOD could not analyse the matrix (status \(status))", field: "matrix")
        }
        factorPointer = symbolic
        let n = matrix.rows
        let lnz = Int(common.pointee.lnz)
        let values = symbolic.pointee.is_super != 0 ? Int(symbolic.pointee.xsize) : lnz
        let indices = symbolic.pointee.is_super != 0 ? Int(symbolic.pointee.ssize) : lnz
        estimate = FactorizationEstimate(
            kind: kind, ordering: Self.orderingName(solverd_cholmod_selected_ordering(common)), factorNonzeros: lnz,
            factorFlops: common.pointee.fl, bytes: values * 8 + indices * 4 + n * 64, analysisSeconds: seconds)
    }

    deinit {
        if factorPointer != nil { cholmod_free_factor(&factorPointer, common) }
        for dense in [solution, workY, workE] where dense != nil {
            var pointer = dense
            cholmod_free_dense(&pointer, common)
        }
        cholmod_finish(common)
        common.deallocate()
    }

    var factorNonzeros: Int { estimate.factorNonzeros }
    var bytes: Int { estimate.bytes }

    func factor(_ matrix: CSRMatrix, reuse: Bool) throws {
        let ok = Self.withView(matrix, rowPointers) { cholmod_factorize($0, factorPointer, common) }
        isFactored = false
        let status = common.pointee.status
        if status == CHOLMOD_NOT_POSDEF {
            let column = Int(factorPointer!.pointee.minor)
            let what = estimate.kind == .cholesky
                ? "the matrix is not positive definite (CHOLMOD stopped at column \(column)); use ldlt or lu"
                : "a zero pivot at column \(column): LDLᵀ without pivoting cannot factor this matrix; use lu"
            throw SolverError(.factorizationFailed, what, field: "matrix")
        }
        guard ok != 0, status >= CHOLMOD_OK else {
            throw SolverError(.factorizationFailed, "CHOLMOD numeric factorisation failed (status \(status))", field: "matrix")
        }
        isFactored = true
    }

    func solve(columns: inout [Double], count: Int) throws {
        precondition(isFactored, "solve before factor")
        let n = columns.count / max(1, count)
        let ok = columns.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var b = Self.denseView(buffer, rows: n, columns: count)
            return cholmod_solve2(CHOLMOD_A, factorPointer, &b, nil, &solution, nil, &workY, &workE, common)
        }
        guard ok != 0, let solution else {
            throw SolverError(.factorizationFailed, "CHOLMOD solve failed (status \(common.pointee.status))", field: "matrix")
        }
        let x = solution.pointee.x.assumingMemoryBound(to: Double.self)
        columns.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress!.update(from: x, count: n * count) }
    }

    /// The reach may cover at most this share of the factor before a dense solve is the cheaper one (the reach walk
    /// is scalar code, the dense solve runs on BLAS).
    static let sparseReachShare = 0.4

    func solveSparse(rows: [Int], values: [Double]) throws -> [Double]? {
        guard isFactored, let factor = factorPointer else { return nil }
        if sparseForward == nil { sparseForward = .some(SupernodalForwardSolve(factor)) }
        guard let forward = sparseForward ?? nil,
              let reach = forward.reach(of: rows, entryLimit: Int(Double(forward.totalEntries) * Self.sparseReachShare))
        else { return nil }
        let n = Int(factor.pointee.n)
        var y = [Double](repeating: 0, count: n)
        y.withUnsafeMutableBufferPointer { forward.forward(rows: rows, values: values, reach: reach, factor: factor, into: $0) }
        let ok = y.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var b = Self.denseView(buffer, rows: n, columns: 1)
            return cholmod_solve2(CHOLMOD_Lt, factor, &b, nil, &solution, nil, &workY, &workE, common)
        }
        guard ok != 0, let solution else {
            throw SolverError(.factorizationFailed, "CHOLMOD solve failed (status \(common.pointee.status))", field: "matrix")
        }
        let z = solution.pointee.x.assumingMemoryBound(to: Double.self)
        let perm = factor.pointee.Perm.assumingMemoryBound(to: Int32.self)
        for k in 0..<n { y[Int(perm[k])] = z[k] }
        return y
    }

    private static func denseView(_ buffer: UnsafeMutableBufferPointer<Double>, rows: Int, columns: Int) -> cholmod_dense {
        var b = cholmod_dense()
        b.nrow = rows
        b.ncol = columns
        b.nzmax = rows * columns
        b.d = rows
        b.x = UnsafeMutableRawPointer(buffer.baseAddress)
        b.xtype = CHOLMOD_REAL
        b.dtype = CHOLMOD_DOUBLE
        return b
    }

    /// Lends `matrix` to CHOLMOD as a symmetric (upper-stored) compressed-column matrix.
    private static func withView<R>(_ matrix: CSRMatrix, _ rowPointers: [Int32],
                                    _ body: (UnsafeMutablePointer<cholmod_sparse>) -> R) -> R {
        rowPointers.withUnsafeBufferPointer { p in
            matrix.colIndices.withUnsafeBufferPointer { i in
                matrix.values.withUnsafeBufferPointer { x in
                    var a = cholmod_sparse()
                    a.nrow = matrix.rows
                    a.ncol = matrix.cols
                    a.nzmax = matrix.nnz
                    a.p = UnsafeMutableRawPointer(mutating: p.baseAddress)
                    a.i = UnsafeMutableRawPointer(mutating: i.baseAddress)
                    a.x = UnsafeMutableRawPointer(mutating: x.baseAddress)
                    a.stype = 1
                    a.itype = CHOLMOD_INT
                    a.xtype = CHOLMOD_REAL
                    a.dtype = CHOLMOD_DOUBLE
                    a.sorted = 1
                    a.packed = 1
                    return body(&a)
                }
            }
        }
    }

    static func orderingName(_ ordering: Int32) -> String {
        switch ordering {
        case CHOLMOD_NATURAL: return "natural"
        case CHOLMOD_AMD: return "amd"
        case CHOLMOD_METIS: return "metis"
        case CHOLMOD_NESDIS: return "nesdis"
        case CHOLMOD_COLAMD: return "colamd"
        case CHOLMOD_POSTORDERED: return "postordered"
        default: return "given"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }

    /// The duration in whole nanoseconds (negative durations are negative).
    public var nanoseconds: Int64 {
        let (s, attoseconds) = components
        return s * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
