/// A Sherman–Morrison–Woodbury correction that lets a factor of `A₀` solve with `A = A₀ + E_R D`, where `R` are the
/// rows whose values changed since the factorisation and `D` holds those rows' changes (`A[r,:] − A₀[r,:]`):
///
///     A⁻¹ = A₀⁻¹ − W C⁻¹ D A₀⁻¹,   W = A₀⁻¹ E_R (one solve per row in R),   C = I + D W (k × k).
///
/// A row joins `R` once, at the price of one solve; later changes to the same row only refresh `D` and `C`. The
/// changes may add entries outside `A₀`'s pattern. The caller refactors when `rank` grows past its budget.
struct LowRankCorrection {
    /// Changed rows, in the order they joined.
    private(set) var rows: [Int] = []
    private var slot: [Int: Int] = [:]
    /// `W[:, k] = A₀⁻¹ e_rows[k]`.
    private var columns: [[Double]] = []
    /// Row `rows[k]` of `A − A₀` (sorted columns).
    private var deltaColumns: [[Int32]] = []
    private var deltaValues: [[Double]] = []
    /// LU of `C` with partial pivoting, row-major.
    private var capacitance: [Double] = []
    private var pivots: [Int] = []

    var rank: Int { rows.count }
    var isEmpty: Bool { rows.isEmpty }
    var memoryBytes: Int {
        typealias M = MemoryAccounting
        return M.bytes(nested: columns) + M.bytes(nested: deltaColumns) + M.bytes(nested: deltaValues)
            + M.bytes(capacitance) + M.bytes(pivots) + M.bytes(rows) + slot.capacity * 16
    }

    /// Adds the rows not in `R` yet, with one multi-column solve for all of them (`solve(columns, count)`).
    mutating func include(_ newRows: [Int], dimension: Int, solve: (inout [Double], Int) throws -> Void) throws {
        let added = Array(Set(newRows.filter { slot[$0] == nil })).sorted()
        guard !added.isEmpty else { return }
        var block = [Double](repeating: 0, count: dimension * added.count)
        for (k, row) in added.enumerated() { block[k * dimension + row] = 1 }
        try solve(&block, added.count)
        for (k, row) in added.enumerated() {
            slot[row] = rows.count
            rows.append(row)
            columns.append(Array(block[(k * dimension)..<((k + 1) * dimension)]))
            deltaColumns.append([])
            deltaValues.append([])
        }
    }

    func contains(_ row: Int) -> Bool { slot[row] != nil }

    /// Sets row `row`'s change (`current − factored`, merged from the two sorted rows), for a row already included.
    mutating func setDelta(row: Int, current: CSRMatrix, factored: CSRMatrix) {
        guard let k = slot[row] else { return }
        var cols: [Int32] = []
        var vals: [Double] = []
        var p = current.rowPointers[row], pEnd = current.rowPointers[row + 1]
        var q = factored.rowPointers[row], qEnd = factored.rowPointers[row + 1]
        while p < pEnd || q < qEnd {
            let cp = p < pEnd ? current.colIndices[p] : .max
            let cq = q < qEnd ? factored.colIndices[q] : .max
            let col = min(cp, cq)
            let value = (cp == col ? current.values[p] : 0) - (cq == col ? factored.values[q] : 0)
            if cp == col { p += 1 }
            if cq == col { q += 1 }
            if value != 0 { cols.append(col); vals.append(value) }
        }
        deltaColumns[k] = cols
        deltaValues[k] = vals
    }

    /// Rebuilds and factors `C = I + D W`; throws when it is singular (the corrected matrix is, or the change is
    /// too large for a correction: the caller refactors).
    mutating func refreshCapacitance() throws {
        let k = rank
        var c = [Double](repeating: 0, count: k * k)
        for a in 0..<k {
            c[a * k + a] = 1
            for b in 0..<k { c[a * k + b] += dot(a, columns[b]) }
        }
        pivots = Array(0..<k)
        for j in 0..<k {
            var best = j
            for i in j..<k where abs(c[i * k + j]) > abs(c[best * k + j]) { best = i }
            guard abs(c[best * k + j]) > 1e-13 else {
                throw SolverError(.factorizationFailed, "the low-rank correction is singular", field: "matrix_updates")
            }
            if best != j {
                for m in 0..<k { c.swapAt(j * k + m, best * k + m) }
                pivots.swapAt(j, best)
            }
            for i in (j + 1)..<k {
                let factor = c[i * k + j] / c[j * k + j]
                c[i * k + j] = factor
                for m in (j + 1)..<k { c[i * k + m] -= factor * c[j * k + m] }
            }
        }
        capacitance = c
    }

    /// `y ← y − W C⁻¹ D y`: turns `A₀⁻¹ v` into `A⁻¹ v`. O(k·n + nnz(D) + k²).
    func apply(_ y: inout [Double]) {
        guard rank > 0 else { return }
        let z = solveCapacitance((0..<rank).map { dot($0, y) })
        addColumns(scaledBy: z.map { -$0 }, to: &y)
    }

    /// `A⁻¹ E_R ρ = W C⁻¹ ρ` (the push-through identity): the exact correction for a residual that lives on the
    /// changed rows alone (`rho[k]` on `rows[k]`), with no solve. O(k·n + k²).
    func solveOnRows(_ rho: [Double]) -> [Double] {
        var delta = [Double](repeating: 0, count: columns.first?.count ?? 0)
        addColumns(scaledBy: solveCapacitance(rho), to: &delta)
        return delta
    }

    /// `C⁻¹ v` with the pivoted LU of `C`.
    private func solveCapacitance(_ v: [Double]) -> [Double] {
        let k = rank
        var z = (0..<k).map { v[pivots[$0]] }
        for i in 0..<k { for m in 0..<i { z[i] -= capacitance[i * k + m] * z[m] } }
        for i in stride(from: k - 1, through: 0, by: -1) {
            for m in (i + 1)..<k { z[i] -= capacitance[i * k + m] * z[m] }
            z[i] /= capacitance[i * k + i]
        }
        return z
    }

    /// `out += W z`.
    private func addColumns(scaledBy z: [Double], to out: inout [Double]) {
        out.withUnsafeMutableBufferPointer { out in
            for b in 0..<rank where z[b] != 0 {
                let scale = z[b]
                columns[b].withUnsafeBufferPointer { w in
                    for i in 0..<out.count { out[i] += scale * w[i] }
                }
            }
        }
    }

    /// `D[a,:] · v`.
    private func dot(_ a: Int, _ v: [Double]) -> Double {
        var sum = 0.0
        for (col, value) in zip(deltaColumns[a], deltaValues[a]) { sum += value * v[Int(col)] }
        return sum
    }
}
