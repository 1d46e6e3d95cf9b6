/// Exact residuals of sampled rows compared with the maintained `r`: the verification primitive behind random
/// probes. O(Σ row lengths of the probed rows).
public struct ResidualProbe: Sendable, Equatable {
    /// The rows probed.
    public var rows: [Int]
    /// `b_i − (A x)_i` computed from scratch for each probed row.
    public var exactResiduals: [Double]
    /// The maintained `r_i` for the same rows.
    public var maintainedResiduals: [Double]

    public init(rows: [Int], exactResiduals: [Double], maintainedResiduals: [Double]) {
        self.rows = rows
        self.exactResiduals = exactResiduals
        self.maintainedResiduals = maintainedResiduals
    }

    /// Largest |exact − maintained| over the probed rows.
    public var maxAbsoluteError: Double {
        zip(exactResiduals, maintainedResiduals).map { abs($0 - $1) }.max() ?? 0
    }

    /// ‖exact − maintained‖₂ / max(‖exact‖₂, floor): how far the maintained residual has drifted from the truth,
    /// relative to the residual itself. `floor` keeps a near-zero residual from turning rounding noise into drift.
    public func relativeDisagreement(floor: Double) -> Double {
        var diff = 0.0, exact = 0.0
        for (e, m) in zip(exactResiduals, maintainedResiduals) {
            diff += (e - m) * (e - m)
            exact += e * e
        }
        return diff.squareRoot() / max(exact.squareRoot(), floor, .leastNormalMagnitude)
    }

    /// An estimate of the full ‖b − A x‖₂ from the sample (scaled by √(n / rows)).
    public func estimatedResidualNorm(dimension: Int) -> Double {
        guard !rows.isEmpty else { return 0 }
        let sum = exactResiduals.reduce(0) { $0 + $1 * $1 }
        return (sum * Double(dimension) / Double(rows.count)).squareRoot()
    }
}

extension LiveSystem {
    /// Probes the given rows (each must be in range; duplicates are allowed and probed twice).
    public func probe(rows: [Int]) throws -> ResidualProbe {
        compact()
        var exact: [Double] = []
        var maintained: [Double] = []
        exact.reserveCapacity(rows.count)
        maintained.reserveCapacity(rows.count)
        for (k, i) in rows.enumerated() {
            guard i >= 0, i < dimension else {
                throw SolverError.indexOutOfRange("row \(i) is outside 0..<\(dimension)", field: "indices[\(k)]")
            }
            exact.append(b[i] - SparseKernels.rowDot(matrix, row: i, x))
            maintained.append(r[i])
        }
        return ResidualProbe(rows: rows, exactResiduals: exact, maintainedResiduals: maintained)
    }

    /// Probes `count` distinct rows drawn uniformly at random (all rows when `count ≥ n`).
    public func probeRandomRows(count: Int, using rng: inout some RandomNumberGenerator) throws -> ResidualProbe {
        let n = dimension
        guard count < n else { return try probe(rows: Array(0..<n)) }
        var chosen = Set<Int>()
        while chosen.count < count { chosen.insert(Int.random(in: 0..<n, using: &rng)) }
        return try probe(rows: chosen.sorted())
    }

    /// Recomputes `r` from scratch and reports how far the maintained norm had drifted:
    /// `|‖r_maintained‖ − ‖r_exact‖| / max(‖r_exact‖, floor)`.
    public func recomputeResidualMeasuringDrift(floor: Double) -> (maintained: Double, exact: Double, drift: Double) {
        let maintained = residualNorm
        let exact = recomputeResidual()
        return (maintained, exact, abs(maintained - exact) / max(exact, floor, .leastNormalMagnitude))
    }

    /// ‖b − A y‖₂ for an externally supplied `y`, without touching the live state.
    public func residualNorm(of y: [Double]) throws -> Double {
        guard y.count == dimension else {
            throw SolverError.dimensionMismatch("has \(y.count) entries but the system has \(dimension)", field: "x")
        }
        if let k = y.firstIndex(where: { !$0.isFinite }) { throw SolverError.nonFinite(field: "x[\(k)]") }
        compact()
        var scratch = [Double](repeating: 0, count: dimension)
        return SparseKernels.residual(matrix, b: b, x: y, into: &scratch, loop: loop).squareRoot()
    }

    /// Relative residual `‖r‖₂ / ‖b‖₂` (0 when both are 0, ∞ when only `b` is 0).
    public var relativeResidual: Double {
        let bn = rightHandSideNorm
        if bn == 0 { return residualNorm == 0 ? 0 : .infinity }
        return residualNorm / bn
    }

    /// Test hook for verification: overwrites one maintained residual entry without touching `x` (simulates
    /// corruption the verification loop must catch).
    public func corruptMaintainedResidual(row: Int, to value: Double) {
        setResidual(row, value)
    }

    /// Test hook: overwrites one entry of `x` without updating `r` (the maintained residual becomes wrong).
    public func corruptSolution(row: Int, to value: Double) {
        x[row] = value
        noteSolutionChanged(rows: [Int32(truncatingIfNeeded: row)])
    }
}
