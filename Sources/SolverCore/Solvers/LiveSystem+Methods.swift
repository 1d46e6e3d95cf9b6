/// Small helpers the iterative methods share when they (re)start on a live system.
extension LiveSystem {
    /// Merges pending insertions so `matrix` is the current `A`, then returns its dimension. Every method's
    /// `restart` starts here: the kernels read `matrix` directly.
    @discardableResult
    func prepareForMethod() -> Int {
        compact()
        return dimension
    }

    /// `1 / a_ii` for every row; throws `zero_diagonal` naming the first row whose diagonal is zero or missing.
    func inverseDiagonal() throws -> [Double] {
        try checkDiagonal()
        let values = matrix.values
        return diagonalPositions.map { 1 / values[Int($0)] }
    }

    /// Throws `zero_diagonal` naming the first row whose diagonal is zero or missing (without allocating).
    func checkDiagonal() throws {
        for (row, position) in diagonalPositions.enumerated() where position < 0 || matrix.values[Int(position)] == 0 {
            throw SolverError.zeroDiagonal(row: row)
        }
    }
}
