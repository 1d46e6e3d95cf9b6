import SolverCore

/// Independent reference solutions: a dense LU solve with partial pivoting, for small test systems.
public enum DenseReference {
    /// Dense row-major copy of a CSR matrix.
    public static func dense(_ a: CSRMatrix) -> [[Double]] {
        var m = [[Double]](repeating: [Double](repeating: 0, count: a.cols), count: a.rows)
        for i in 0..<a.rows {
            for k in a.rowPointers[i]..<a.rowPointers[i + 1] { m[i][Int(a.colIndices[k])] += a.values[k] }
        }
        return m
    }

    /// Solves `A x = b` by Gaussian elimination with partial pivoting; nil when singular.
    public static func solve(_ a: CSRMatrix, _ b: [Double]) -> [Double]? {
        var m = dense(a)
        var rhs = b
        let n = a.rows
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(m[r][col]) > abs(m[pivot][col]) { pivot = r }
            guard abs(m[pivot][col]) > 1e-300 else { return nil }
            if pivot != col { m.swapAt(pivot, col); rhs.swapAt(pivot, col) }
            for r in (col + 1)..<n where m[r][col] != 0 {
                let f = m[r][col] / m[col][col]
                for c in col..<n { m[r][c] -= f * m[col][c] }
                rhs[r] -= f * rhs[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = rhs[r]
            for c in (r + 1)..<n { s -= m[r][c] * x[c] }
            x[r] = s / m[r][r]
        }
        return x
    }

    /// Largest absolute difference between two vectors.
    public static func maxDifference(_ x: [Double], _ y: [Double]) -> Double {
        zip(x, y).map { abs($0 - $1) }.max() ?? 0
    }
}
