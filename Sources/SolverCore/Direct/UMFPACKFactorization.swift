import CSuiteSparse

/// UMFPACK's multifrontal LU (COLAMD/AMD ordering, threshold partial pivoting, dense frontal matrices on BLAS), for
/// nonsymmetric matrices whose factors fill in heavily — meshes, convection–diffusion — where KLU's left-looking
/// sparse kernels fall behind. Like KLU it reads `A`'s CSR arrays as the compressed columns of `Aᵀ` and solves with
/// the transpose (`UMFPACK_At`), so no copy of the matrix is made.
///
/// Invariant of the unsafe code: UMFPACK only reads the lent arrays during each call; `symbolic` and `numeric` are
/// owned here and freed once in `deinit`.
final class UMFPACKFactorization: SparseFactorization {
    let estimate: FactorizationEstimate
    private var symbolic: UnsafeMutableRawPointer?
    private var numeric: UnsafeMutableRawPointer?
    private var control: [Double]
    private var info: [Double]
    private let rowPointers: [Int32]
    private(set) var isFactored = false

    /// `fill`: KLU's prediction for the same matrix. UMFPACK's own symbolic figures are upper bounds that allow for
    /// any pivoting (on a 2D convection–diffusion problem 50× the real fill), useless against a memory limit; the
    /// AMD-based prediction, with a margin for pivoting, is the figure the limit is checked against.
    init(_ matrix: CSRMatrix, fill: FactorizationEstimate) throws {
        var control = [Double](repeating: 0, count: Int(UMFPACK_CONTROL))
        var info = [Double](repeating: 0, count: Int(UMFPACK_INFO))
        umfpack_di_defaults(&control)
        control[Int(UMFPACK_PRL)] = 0
        // solverd refines against the true residual itself.
        control[Int(UMFPACK_IRSTEP)] = 0
        let rowPointers = matrix.rowPointers32
        let n = Int32(matrix.rows)
        let started = ContinuousClock.now
        var analysed: UnsafeMutableRawPointer?
        let status = rowPointers.withUnsafeBufferPointer { p in
            matrix.colIndices.withUnsafeBufferPointer { i in
                matrix.values.withUnsafeBufferPointer { x in
                    umfpack_di_symbolic(n, n, p.baseAddress, i.baseAddress, x.baseAddress, &analysed, control, &info)
                }
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        guard status == UMFPACK_OK, analysed != nil else {
            throw SolverError(.factorizationFailed, "UMFPACK could not analyse the matrix (status \(status))", field: "matrix")
        }
        self.control = control
        self.info = info
        self.rowPointers = rowPointers
        symbolic = analysed
        estimate = FactorizationEstimate(
            kind: .lu, ordering: "umfpack", factorNonzeros: fill.factorNonzeros, factorFlops: fill.factorFlops,
            bytes: fill.bytes * 3 / 2, analysisSeconds: fill.analysisSeconds + seconds)
    }

    deinit {
        if numeric != nil { umfpack_di_free_numeric(&numeric) }
        if symbolic != nil { umfpack_di_free_symbolic(&symbolic) }
    }

    var factorNonzeros: Int {
        numeric == nil ? estimate.factorNonzeros : Int(info[Int(UMFPACK_LNZ)] + info[Int(UMFPACK_UNZ)])
    }

    var bytes: Int {
        numeric == nil ? estimate.bytes : Int(info[Int(UMFPACK_NUMERIC_SIZE)] * max(8, info[Int(UMFPACK_SIZE_OF_UNIT)]))
    }

    /// UMFPACK keeps no pivots worth reusing across values: `reuse` is ignored; the analysis is always kept.
    func factor(_ matrix: CSRMatrix, reuse: Bool) throws {
        isFactored = false
        if numeric != nil { umfpack_di_free_numeric(&numeric) }
        let status = rowPointers.withUnsafeBufferPointer { p in
            matrix.colIndices.withUnsafeBufferPointer { i in
                matrix.values.withUnsafeBufferPointer { x in
                    umfpack_di_numeric(p.baseAddress, i.baseAddress, x.baseAddress, symbolic, &numeric, control, &info)
                }
            }
        }
        guard status == UMFPACK_OK else {
            if status == UMFPACK_WARNING_singular_matrix {
                throw SolverError(.factorizationFailed, "the matrix is singular: UMFPACK found a zero pivot", field: "matrix")
            }
            throw SolverError(.factorizationFailed, "UMFPACK numeric factorisation failed (status \(status))", field: "matrix")
        }
        isFactored = true
    }

    func solve(columns: inout [Double], count: Int) throws {
        precondition(isFactored, "solve before factor")
        let n = columns.count / max(1, count)
        var x = [Double](repeating: 0, count: n)
        for column in 0..<count {
            let status = columns.withUnsafeBufferPointer { b in
                umfpack_di_solve(UMFPACK_At, nil, nil, nil, &x, b.baseAddress! + column * n, numeric, control, &info)
            }
            guard status == UMFPACK_OK else {
                throw SolverError(.factorizationFailed, "UMFPACK solve failed (status \(status))", field: "matrix")
            }
            columns.replaceSubrange((column * n)..<((column + 1) * n), with: x)
        }
    }
}
