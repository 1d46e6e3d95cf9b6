/// Estimates a single coordinate `x_i` of `A x = b` by Ulam–von Neumann random walks on `M = I − D⁻¹A`, without
/// touching the rest of `x` or `b`: the cost is walks × expected walk length × row length, independent of n.
///
/// With `x = Σ_k M^k c` for `c = D⁻¹ b`, a walk starts at `i`, and from state `j` moves to `k` with probability
/// `|M_jk|` or stops with probability `1 − Σ_k |M_jk|`; its score `Σ_steps sign-product · c_state` has expectation
/// `x_i`. This needs `Σ_k |M_jk| < 1`, i.e. strict row diagonal dominance, on every row a walk visits; a visited row
/// that is not strictly dominant throws `not_diagonally_dominant` (checked on the fly, no O(n) setup). Walks are
/// cut off after `maxWalkLength` steps, a bias below `(max_j Σ_k |M_jk|)^maxWalkLength`.
public struct RandomWalkEstimator: Sendable {
    public var maxWalkLength: Int
    private var random: SplitMix64

    public init(seed: UInt64 = 0x5EED_CAFE, maxWalkLength: Int = 1_000) {
        self.random = SplitMix64(seed: seed)
        self.maxWalkLength = maxWalkLength
    }

    public mutating func estimate(_ system: LiveSystem, index: Int, walks: Int) throws -> RandomWalkEstimate {
        guard index >= 0, index < system.dimension else {
            throw SolverError.indexOutOfRange("index \(index) is outside 0..<\(system.dimension)", field: "index")
        }
        guard walks > 0 else { throw SolverError.invalidArgument("walks must be positive, got \(walks)", field: "options.walks") }
        system.compact()  // free unless insertions are pending
        let a = system.matrix
        let b = system.b
        let diagonalPositions = system.diagonalPositions
        var sum = 0.0, sumOfSquares = 0.0
        var totalSteps = 0, truncated = 0
        for _ in 0..<walks {
            var state = index
            var sign = 1.0
            var score = 0.0
            var length = 0
            while true {
                let position = Int(diagonalPositions[state])
                guard position >= 0, a.values[position] != 0 else { throw SolverError.zeroDiagonal(row: state) }
                let diagonal = a.values[position]
                score += sign * b[state] / diagonal
                totalSteps += 1
                length += 1
                guard length < maxWalkLength else { truncated += 1; break }
                guard let (next, entry) = try nextState(a, from: state, diagonal: diagonal, position: position) else { break }
                // M_jk = −a_jk / a_jj; the walk moved with probability |M_jk|, so the weight picks up its sign.
                if (entry > 0) == (diagonal > 0) { sign = -sign }
                state = next
            }
            sum += score
            sumOfSquares += score * score
        }
        let count = Double(walks)
        let mean = sum / count
        let variance = walks > 1 ? max(0, (sumOfSquares - count * mean * mean) / (count - 1)) : 0
        return RandomWalkEstimate(index: index, value: mean, standardError: (variance / count).squareRoot(),
                                  walks: walks, totalSteps: totalSteps, truncatedWalks: truncated)
    }

    /// Samples the next state from row `row`: column `k ≠ row` with probability `|a_rk / a_rr|`, or nil (the walk
    /// stops) with the remaining probability. Returns the column and `a_rk`.
    private mutating func nextState(_ a: CSRMatrix, from row: Int, diagonal: Double, position: Int) throws -> (Int, Double)? {
        let range = a.rowPointers[row]..<a.rowPointers[row + 1]
        var offDiagonal = 0.0
        for k in range where k != position { offDiagonal += abs(a.values[k]) }
        let scale = abs(diagonal)
        guard offDiagonal < scale else {
            throw SolverError(.notDiagonallyDominant,
                              "row \(row) is not strictly diagonally dominant (Σ|a_ij| = \(offDiagonal) ≥ |a_ii| = \(scale)); random walks need Σ_j |M_ij| < 1",
                              field: "matrix")
        }
        var u = random.nextDouble() * scale
        for k in range where k != position {
            u -= abs(a.values[k])
            if u < 0 { return (Int(a.colIndices[k]), a.values[k]) }
        }
        return nil
    }
}
