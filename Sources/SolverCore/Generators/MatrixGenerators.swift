/// Model systems built deterministically from a seed: for `solverd generate`, the self-benchmark, the tests and the
/// benchmarks alike, so a matrix named on the command line is the one the tests measured.
public enum MatrixGenerators {
    /// 5-point Laplacian on a `side × side` grid (Dirichlet boundary) plus `shift` on the diagonal: SPD, and
    /// strictly diagonally dominant when `shift > 0`. n = side².
    public static func laplacian2D(side: Int, shift: Double = 0) -> CSRMatrix {
        grid(sides: [side, side], shift: shift)
    }

    /// 7-point Laplacian on a `side × side × side` grid plus `shift` on the diagonal. n = side³.
    public static func laplacian3D(side: Int, shift: Double = 0) -> CSRMatrix {
        grid(sides: [side, side, side], shift: shift)
    }

    /// The (2·d+1)-point Laplacian on a grid with the given sides, rows numbered with the first axis fastest.
    static func grid(sides: [Int], shift: Double) -> CSRMatrix {
        let n = sides.reduce(1, *)
        var strides: [Int] = []
        var stride = 1
        for side in sides {
            strides.append(stride)
            stride *= side
        }
        var t = COOTriplets(rows: n, cols: n)
        t.reserve((2 * sides.count + 1) * n)
        for i in 0..<n {
            // Neighbours below, the diagonal, then neighbours above: each row's columns come out sorted.
            for axis in (0..<sides.count).reversed() where (i / strides[axis]) % sides[axis] > 0 {
                t.append(row: i, col: i - strides[axis], value: -1)
            }
            t.append(row: i, col: i, value: Double(2 * sides.count) + shift)
            for axis in 0..<sides.count where (i / strides[axis]) % sides[axis] < sides[axis] - 1 {
                t.append(row: i, col: i + strides[axis], value: -1)
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

    /// A random directed graph as an adjacency matrix (`A[src][dst] = 1`): `outDegree` distinct links per node,
    /// no self-loops.
    public static func randomGraph(n: Int, outDegree: Int = 5, seed: UInt64 = 2) -> CSRMatrix {
        var rng = SplitMix64(seed: seed)
        var t = COOTriplets(rows: n, cols: n)
        for src in 0..<n {
            var targets = Set<Int>()
            while targets.count < min(outDegree, n - 1) {
                let dst = Int(rng.next() % UInt64(n))
                if dst != src { targets.insert(dst) }
            }
            for dst in targets { t.append(row: src, col: dst, value: 1) }
        }
        return t.toCSR()
    }

    /// PageRank's `I − α Pᵀ` for `randomGraph(n:outDegree:seed:)` (P row-stochastic).
    public static func pageRank(n: Int, outDegree: Int = 5, alpha: Double = 0.85, seed: UInt64 = 2) -> CSRMatrix {
        PageRank.matrix(adjacency: randomGraph(n: n, outDegree: outDegree, seed: seed), damping: alpha)
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
