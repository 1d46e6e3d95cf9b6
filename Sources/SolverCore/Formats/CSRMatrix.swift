/// A sparse matrix in compressed sparse row form, the one layout every solver uses.
///
/// Invariants (checked once by the throwing initialiser, re-checkable with `checkInvariants()`):
/// - `rowPointers.count == rows + 1`, `rowPointers[0] == 0`, never decreasing, `rowPointers[rows] == nnz`, and
///   `nnz <= maxNonzeros` (so pointers fit 32 bits and diagonal positions `Int32`);
/// - `colIndices.count == values.count == nnz`;
/// - within a row the column indices are strictly increasing and lie in `0..<cols` (canonical form: sorted,
///   no duplicates), so an entry is found by binary search and the kernels may read without bounds checks;
/// - every value is finite.
public struct CSRMatrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public internal(set) var rowPointers: RowPointers
    public internal(set) var colIndices: [Int32]
    public internal(set) var values: [Double]

    public var nnz: Int { values.count }
    public var isSquare: Bool { rows == cols }

    /// Stored entries a matrix may hold: positions are kept in 32 bits (row pointers, diagonal positions).
    public static let maxNonzeros = Int(Int32.max)

    /// Builds a matrix from arrays already known to satisfy the invariants (builders in this module).
    init(uncheckedRows rows: Int, cols: Int, rowPointers: RowPointers, colIndices: [Int32], values: [Double]) {
        precondition(values.count <= Self.maxNonzeros, "more nonzeros than 32-bit positions address")
        self.rows = rows
        self.cols = cols
        self.rowPointers = rowPointers
        self.colIndices = colIndices
        self.values = values
        #if SOLVER_INTERNAL_CHECKS
        try! checkInvariants()
        #endif
    }

    init(uncheckedRows rows: Int, cols: Int, rowPointers: [Int], colIndices: [Int32], values: [Double]) {
        precondition(values.count <= Self.maxNonzeros, "more nonzeros than 32-bit positions address")
        self.init(uncheckedRows: rows, cols: cols, rowPointers: RowPointers(rowPointers), colIndices: colIndices,
                  values: values)
    }

    /// Validates CSR arrays. Rows whose column indices are out of order are sorted; a column repeated inside a
    /// row is an error (a compressed row states each entry once). `fieldPrefix` names the arrays in errors.
    public init(
        rows: Int, cols: Int, rowPointers: [Int], colIndices: [Int32], values: [Double],
        fieldPrefix: String = "matrix.data"
    ) throws {
        try self.init(
            rows: rows, cols: cols, rowPointers: rowPointers, colIndices: colIndices, values: values,
            names: .rowCompressed(fieldPrefix))
    }

    /// The validating initialiser with the names its errors use (see `FieldNames`).
    init(
        rows: Int, cols: Int, rowPointers: [Int], colIndices: [Int32], values: [Double], names: FieldNames
    ) throws {
        let pointerField = names.pointers
        let indexField = names.indices
        let valueField = names.values
        guard rows >= 0, cols >= 0 else {
            throw SolverError.invalidArgument("dimensions must not be negative (rows \(rows), cols \(cols))", field: "matrix.rows")
        }
        guard rowPointers.count - 1 == rows else {
            throw SolverError.dimensionMismatch(
                "has \(rowPointers.count) entries but needs one more than the \(rows) \(names.major)s", field: pointerField)
        }
        guard values.count <= Self.maxNonzeros else {
            throw SolverError.tooLarge("\(values.count) entries exceeds the limit of \(Self.maxNonzeros)", field: valueField)
        }
        guard colIndices.count == values.count else {
            throw SolverError.dimensionMismatch(
                "\(indexField) has \(colIndices.count) entries but \(valueField) has \(values.count)", field: valueField)
        }
        guard rowPointers[0] == 0 else {
            throw SolverError.invalidMatrix("must start at 0, found \(rowPointers[0])", field: "\(pointerField)[0]")
        }
        for i in 0..<rows where rowPointers[i + 1] < rowPointers[i] {
            throw SolverError.invalidMatrix(
                "is not monotone: \(rowPointers[i + 1]) after \(rowPointers[i])", field: "\(pointerField)[\(i + 1)]")
        }
        guard rowPointers[rows] == values.count else {
            throw SolverError.dimensionMismatch(
                "ends at \(rowPointers[rows]) but there are \(values.count) values", field: "\(pointerField)[\(rows)]")
        }
        for (k, v) in values.enumerated() where !v.isFinite {
            throw SolverError.nonFinite(field: "\(valueField)[\(k)]")
        }
        var colIndices = colIndices
        var values = values
        for (k, c) in colIndices.enumerated() where c < 0 || Int(c) >= cols {
            throw SolverError.indexOutOfRange("\(names.minor) \(c) is outside 0..<\(cols)", field: "\(indexField)[\(k)]")
        }
        for row in 0..<rows {
            try Self.canonicaliseSegment(
                indices: &colIndices, values: &values, range: rowPointers[row]..<rowPointers[row + 1],
                describe: { "\(names.major) \(row) repeats \(names.minor) \($0)" }, field: indexField)
        }
        self.init(uncheckedRows: rows, cols: cols, rowPointers: rowPointers, colIndices: colIndices, values: values)
    }

    /// Sorts one compressed segment by index and rejects repeated indices.
    static func canonicaliseSegment(
        indices: inout [Int32], values: inout [Double], range: Range<Int>,
        describe: (Int32) -> String, field: String
    ) throws {
        guard range.count > 1 else { return }
        var sorted = true
        for k in range.lowerBound..<(range.upperBound - 1) where indices[k] >= indices[k + 1] {
            sorted = false
            break
        }
        if !sorted {
            let pairs = range.map { (indices[$0], values[$0]) }.sorted { $0.0 < $1.0 }
            for (offset, pair) in pairs.enumerated() {
                indices[range.lowerBound + offset] = pair.0
                values[range.lowerBound + offset] = pair.1
            }
        }
        for k in range.lowerBound..<(range.upperBound - 1) where indices[k] == indices[k + 1] {
            throw SolverError(.duplicateEntry, describe(indices[k]), field: field)
        }
    }

    /// Re-checks every invariant; used by tests and behind `SOLVER_INTERNAL_CHECKS`.
    public func checkInvariants() throws {
        _ = try CSRMatrix(rows: rows, cols: cols, rowPointers: Array(rowPointers), colIndices: colIndices, values: values)
    }

    /// Position of entry (row, col) in `colIndices`/`values`, or nil when it is not stored. O(log row length).
    @inlinable
    public func position(row: Int, col: Int) -> Int? {
        var low = rowPointers[row]
        var high = rowPointers[row + 1]
        let target = Int32(truncatingIfNeeded: col)
        while low < high {
            let mid = (low + high) >> 1
            let c = colIndices[mid]
            if c == target { return mid }
            if c < target { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// The stored value at (row, col), 0 when the entry is not stored.
    public subscript(row: Int, col: Int) -> Double {
        position(row: row, col: col).map { values[$0] } ?? 0
    }

    /// Overwrites a stored value; `position` comes from `position(row:col:)`.
    mutating func setValue(at position: Int, to value: Double) {
        values[position] = value
    }

    /// Stored off-diagonal entries `(i, j)` whose value differs from `A[j][i]` (0 when not stored); 0 exactly when
    /// the matrix is symmetric. O(nnz · log row length).
    func asymmetricEntryCount() -> Int {
        var count = 0
        for i in 0..<rows {
            for k in rowPointers[i]..<rowPointers[i + 1] {
                let j = Int(colIndices[k])
                guard j != i else { continue }
                let mirrorValue = j < rows ? position(row: j, col: i).map { values[$0] } ?? 0 : 0
                if values[k] != mirrorValue { count += 1 }
            }
        }
        return count
    }

    /// Positions of the diagonal entries, -1 where a row stores none (32-bit: positions are below `nnz`, which the
    /// builders keep within `UInt32`).
    public func diagonalPositions() -> [Int32] {
        (0..<rows).map { $0 < cols ? Int32(truncatingIfNeeded: position(row: $0, col: $0) ?? -1) : -1 }
    }

    /// The diagonal (0 where not stored).
    public func diagonal() -> [Double] {
        diagonalPositions().map { $0 >= 0 ? values[Int($0)] : 0 }
    }

    /// Aᵀ in CSR form, which is A in compressed-column form. O(nnz).
    public func transposed() -> CSRMatrix {
        var counts = [Int](repeating: 0, count: cols + 1)
        for c in colIndices { counts[Int(c) + 1] += 1 }
        for j in 0..<cols { counts[j + 1] += counts[j] }
        var next = counts
        var tIndices = [Int32](repeating: 0, count: nnz)
        var tValues = [Double](repeating: 0, count: nnz)
        for row in 0..<rows {
            for k in rowPointers[row]..<rowPointers[row + 1] {
                let c = Int(colIndices[k])
                let dest = next[c]
                next[c] += 1
                tIndices[dest] = Int32(truncatingIfNeeded: row)
                tValues[dest] = values[k]
            }
        }
        return CSRMatrix(uncheckedRows: cols, cols: rows, rowPointers: counts, colIndices: tIndices, values: tValues)
    }
}
