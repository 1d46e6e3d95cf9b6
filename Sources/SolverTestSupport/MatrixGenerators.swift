import SolverCore

/// Test and benchmark systems, built deterministically from a seed.
public enum MatrixGenerators {
    /// 5-point Laplacian on a `side × side` grid (Dirichlet boundary) plus `shift` on the diagonal: SPD, and
    /// strictly diagonally dominant when `shift > 0`. n = side².
    public static func laplacian2D(side: Int, shift: Double = 0) -> CSRMatrix {
        let n = side * side
        var t = COOTriplets(rows: n, cols: n)
        t.reserve(5 * n)
        for gy in 0..<side {
            for gx in 0..<side {
                let i = gy * side + gx
                if gy > 0 { t.append(row: i, col: i - side, value: -1) }
                if gx > 0 { t.append(row: i, col: i - 1, value: -1) }
                t.append(row: i, col: i, value: 4 + shift)
                if gx < side - 1 { t.append(row: i, col: i + 1, value: -1) }
                if gy < side - 1 { t.append(row: i, col: i + side, value: -1) }
            }
        }
        return t.toCSR()
    }

    /// Random nonsymmetric, strictly row- and column-diagonally dominant matrix with `perRow` off-diagonals per
    /// row: `|a_ii| ≥ dominance · max(Σ_j |a_ij|, Σ_j |a_ji|)`.
    public static func randomDiagonallyDominant(n: Int, perRow: Int = 4, dominance: Double = 1.5, seed: UInt64 = 1) -> CSRMatrix {
        var rng = SplitMix64(seed: seed)
        var t = COOTriplets(rows: n, cols: n)
        var rowSums = [Double](repeating: 0, count: n)
        var colSums = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for _ in 0..<perRow {
                let j = Int(rng.next() % UInt64(n))
                if j == i { continue }
                let v = rng.nextDouble() * 2 - 1
                t.append(row: i, col: j, value: v)
                rowSums[i] += abs(v)
                colSums[j] += abs(v)
            }
        }
        for i in 0..<n {
            let sign: Double = rng.next() % 2 == 0 ? 1 : -1
            t.append(row: i, col: i, value: sign * (dominance * max(rowSums[i], colSums[i]) + 1))
        }
        return t.toCSR()
    }

    /// PageRank-style `I − α Pᵀ` for a random directed graph with `outDegree` links per node (P row-stochastic).
    public static func pageRank(n: Int, outDegree: Int = 5, alpha: Double = 0.85, seed: UInt64 = 2) -> CSRMatrix {
        var rng = SplitMix64(seed: seed)
        var t = COOTriplets(rows: n, cols: n)
        for i in 0..<n { t.append(row: i, col: i, value: 1) }
        for src in 0..<n {
            var targets = Set<Int>()
            while targets.count < min(outDegree, n - 1) {
                let dst = Int(rng.next() % UInt64(n))
                if dst != src { targets.insert(dst) }
            }
            // (Pᵀ)[dst][src] = 1/outDegree
            for dst in targets { t.append(row: dst, col: src, value: -alpha / Double(targets.count)) }
        }
        return t.toCSR()
    }

    /// The example system of docs/design.md §9.1 (also the README's): tridiag(-1, 2, -1); with b = [1,2,3],
    /// x = [2.5, 4, 3.5].
    public static func planExample() -> CSRMatrix {
        var t = COOTriplets(rows: 3, cols: 3)
        for (r, c, v) in [(0, 0, 2.0), (0, 1, -1), (1, 0, -1), (1, 1, 2), (1, 2, -1), (2, 1, -1), (2, 2, 2)] {
            t.append(row: r, col: c, value: v)
        }
        return t.toCSR()
    }

    /// A deterministic vector with entries in [-1, 1).
    public static func randomVector(_ n: Int, seed: UInt64 = 3) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in rng.nextDouble() * 2 - 1 }
    }
}

// SplitMix64 lives in SolverCore (Solvers/SplitMix64.swift); it is re-used here through `import SolverCore`.
