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

extension Array where Element == Double {
    /// Makes this a zero vector of length `count`, reusing the storage when the length already matches.
    mutating func resetToZeros(count: Int) {
        if self.count == count {
            withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else {
            self = [Double](repeating: 0, count: count)
        }
    }
}

extension Array where Element == Double {
    /// Makes this an element-wise copy of `source` in its own storage (reused when the length matches), so later
    /// writes to either never trigger a copy-on-write of a whole vector inside a step.
    mutating func assign(_ source: [Double]) {
        resetToZeros(count: source.count)
        withUnsafeMutableBufferPointer { destination in
            source.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0) }
        }
    }
}
