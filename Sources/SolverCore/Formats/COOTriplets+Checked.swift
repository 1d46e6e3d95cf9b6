extension COOTriplets {
    /// `toCSR()` plus the one check summing can break: duplicates of finite values may overflow to ±∞, and a
    /// `CSRMatrix` holds only finite values. `field` names the value array in the error.
    func toFiniteCSR(field: String) throws -> CSRMatrix {
        let m = toCSR()
        if let k = m.values.firstIndex(where: { !$0.isFinite }) {
            var row = 0
            while m.rowPointers[row + 1] <= k { row += 1 }
            throw SolverError(
                .nonFinite, "duplicate entries at (\(row), \(m.colIndices[k])) sum to \(m.values[k])", field: field)
        }
        return m
    }
}
