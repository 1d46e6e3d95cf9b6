import CSuiteSparse

/// KLU's sparse LU with partial pivoting (BTF, then AMD on each block), for any square matrix.
///
/// KLU reads compressed columns; `A`'s CSR arrays read that way describe `Aᵀ`, so KLU factors `Aᵀ` and
/// `klu_tsolve` (which solves with the transpose of what was factored) solves `A x = b` — no copy of the matrix.
/// Invariant of the unsafe code: KLU only reads the lent arrays during each call; `common`, `symbolic` and
/// `numeric` are owned here and freed once in `deinit`.
final class KLUFactorization: SparseFactorization {
    let estimate: FactorizationEstimate
    private let common: UnsafeMutablePointer<klu_common>
    private var symbolic: UnsafeMutablePointer<klu_symbolic>?
    private var numeric: UnsafeMutablePointer<klu_numeric>?
    private var rowPointers: [Int32]
    private(set) var isFactored = false

    init(_ matrix: CSRMatrix) throws {
        let common = UnsafeMutablePointer<klu_common>.allocate(capacity: 1)
        self.common = common
        klu_defaults(common)
        var rowPointers = matrix.rowPointers32
        let n = Int32(matrix.rows)
        let clock = ContinuousClock()
        let started = clock.now
        let analysed = rowPointers.withUnsafeMutableBufferPointer { p in
            matrix.colIndices.withUnsafeBufferPointer { i in
                klu_analyze(n, p.baseAddress, UnsafeMutablePointer(mutating: i.baseAddress), common)
            }
        }
        let seconds = (clock.now - started).seconds
        self.rowPointers = rowPointers
        symbolic = analysed
        guard let analysed else {
            let status = common.pointee.status
            common.deallocate()
            throw SolverError(.factorizationFailed, "KLU could not analyse the matrix (status \(status))", field: "matrix")
        }
        let s = analysed.pointee
        let entries = Int(s.lnz + s.unz) + Int(s.nzoff)
        // Partial pivoting may fill beyond the symmetric-pattern prediction; KLU itself grows its estimate by
        // `memgrow` when needed, so the byte figure keeps a margin for that.
        estimate = FactorizationEstimate(
            kind: .lu, ordering: s.ordering == 1 ? "btf+colamd" : "btf+amd", factorNonzeros: entries,
            factorFlops: s.est_flops > 0 ? s.est_flops : 2 * Double(entries), bytes: entries * 14 + matrix.rows * 80,
            analysisSeconds: seconds)
    }

    deinit {
        if numeric != nil { klu_free_numeric(&numeric, common) }
        if symbolic != nil { klu_free_symbolic(&symbolic, common) }
        common.deallocate()
    }

    var factorNonzeros: Int {
        guard let numeric else { return estimate.factorNonzeros }
        return Int(numeric.pointee.lnz + numeric.pointee.unz + numeric.pointee.nzoff)
    }

    var bytes: Int { numeric == nil ? estimate.bytes : factorNonzeros * 14 + rowPointers.count * 80 }

    func factor(_ matrix: CSRMatrix, reuse: Bool) throws {
        isFactored = false
        let ok: Bool = rowPointers.withUnsafeMutableBufferPointer { p in
            matrix.colIndices.withUnsafeBufferPointer { i in
                matrix.values.withUnsafeBufferPointer { x in
                    let ap = p.baseAddress, ai = UnsafeMutablePointer(mutating: i.baseAddress)
                    let ax = UnsafeMutablePointer(mutating: x.baseAddress)
                    if reuse, numeric != nil {
                        return klu_refactor(ap, ai, ax, symbolic, numeric, common) != 0
                    }
                    if numeric != nil { klu_free_numeric(&numeric, common) }
                    numeric = klu_factor(ap, ai, ax, symbolic, common)
                    return numeric != nil
                }
            }
        }
        let status = common.pointee.status
        guard ok, status == KLU_OK else {
            if status == KLU_SINGULAR {
                throw SolverError(.factorizationFailed,
                                  "the matrix is singular: KLU found no usable pivot in column \(common.pointee.singular_col)",
                                  field: "matrix")
            }
            throw SolverError(.factorizationFailed, "KLU numeric factorisation failed (status \(status))", field: "matrix")
        }
        isFactored = true
    }

    func solve(columns: inout [Double], count: Int) throws {
        precondition(isFactored, "solve before factor")
        let n = Int32(columns.count / max(1, count))
        let ok = columns.withUnsafeMutableBufferPointer {
            klu_tsolve(symbolic, numeric, n, Int32(count), $0.baseAddress, common)
        }
        guard ok != 0 else {
            throw SolverError(.factorizationFailed, "KLU solve failed (status \(common.pointee.status))", field: "matrix")
        }
    }
}
