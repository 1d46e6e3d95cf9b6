/// Rows of `A x = b` cut out with everything needed to recompute their residuals elsewhere: per probed row its
/// stored entries, `b_i` and the `x` values those entries read. A verifier on another node evaluates it without
/// holding the session (distributed verification, docs/design.md §7.3).
///
/// Invariant: `rowStarts` has `rows.count + 1` non-decreasing offsets into `columns`/`values`/`xAtColumns`, which
/// have equal lengths; `rightHandSide` has one value per row.
public struct ProbeTask: Sendable, Equatable {
    public var rows: [Int]
    public var rowStarts: [Int]
    public var columns: [Int32]
    public var values: [Double]
    public var xAtColumns: [Double]
    public var rightHandSide: [Double]

    public init(rows: [Int], rowStarts: [Int], columns: [Int32], values: [Double], xAtColumns: [Double],
                rightHandSide: [Double]) throws {
        guard rowStarts.count == rows.count + 1, rightHandSide.count == rows.count, rowStarts.first == 0,
              rowStarts.last == columns.count, values.count == columns.count, xAtColumns.count == columns.count,
              zip(rowStarts, rowStarts.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw SolverError(.invalidArgument, "probe task arrays are inconsistent", field: "probe_task")
        }
        self.rows = rows
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
        self.xAtColumns = xAtColumns
        self.rightHandSide = rightHandSide
    }

    /// `b_i − Σ_j a_ij x_j` per row, summed in stored order: the same operations, in the same order, as
    /// `SparseKernels.rowDot`, so honest evaluators agree bit for bit.
    public func evaluate() -> [Double] {
        rows.indices.map { k in
            var sum = 0.0
            for p in rowStarts[k]..<rowStarts[k + 1] { sum += values[p] * xAtColumns[p] }
            return rightHandSide[k] - sum
        }
    }

    /// Per row, the scale below which two evaluations count as equal: `1e-12 · (|b_i| + Σ|a_ij x_j|)`. Rounding
    /// differences (a different summation order, FMA) stay far below it; a wrong answer does not.
    public func agreementScale() -> [Double] {
        rows.indices.map { k in
            var magnitude = abs(rightHandSide[k])
            for p in rowStarts[k]..<rowStarts[k + 1] { magnitude += abs(values[p] * xAtColumns[p]) }
            return 1e-12 * magnitude + Double.leastNormalMagnitude
        }
    }
}

extension LiveSystem {
    /// The probe task for `rows` (each in range), cut from the current `A`, `b` and `x`.
    public func probeTask(rows: [Int]) throws -> ProbeTask {
        compact()
        var starts = [0], columns: [Int32] = [], values: [Double] = [], xs: [Double] = [], rhs: [Double] = []
        for (k, i) in rows.enumerated() {
            guard i >= 0, i < dimension else {
                throw SolverError.indexOutOfRange("row \(i) is outside 0..<\(dimension)", field: "indices[\(k)]")
            }
            for p in matrix.rowPointers[i]..<matrix.rowPointers[i + 1] {
                columns.append(matrix.colIndices[p])
                values.append(matrix.values[p])
                xs.append(x[Int(matrix.colIndices[p])])
            }
            starts.append(columns.count)
            rhs.append(b[i])
        }
        return try ProbeTask(rows: rows, rowStarts: starts, columns: columns, values: values, xAtColumns: xs, rightHandSide: rhs)
    }
}
