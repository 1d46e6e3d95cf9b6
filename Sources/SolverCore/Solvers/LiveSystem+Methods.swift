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
        let values = matrix.values
        return try diagonalPositions.enumerated().map { row, position in
            guard position >= 0, values[position] != 0 else { throw SolverError.zeroDiagonal(row: row) }
            return 1 / values[position]
        }
    }
}
