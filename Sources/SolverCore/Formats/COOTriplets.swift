/// Coordinate triplets `(row, col, value)` collected in any order; `toCSR()` sorts them and sums duplicates, as
/// scipy.sparse does. The caller has checked that every index is in range and every value finite.
public struct COOTriplets: Sendable {
    public let rows: Int
    public let cols: Int
    public private(set) var rowIndices: [Int32] = []
    public private(set) var colIndices: [Int32] = []
    public private(set) var values: [Double] = []

    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0 && rows <= Int(Int32.max) && cols <= Int(Int32.max))
        self.rows = rows
        self.cols = cols
    }

    public var count: Int { values.count }

    public mutating func reserve(_ capacity: Int) {
        rowIndices.reserveCapacity(capacity)
        colIndices.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// Appends one entry; indices must lie in range.
    public mutating func append(row: Int, col: Int, value: Double) {
        precondition(row >= 0 && row < rows && col >= 0 && col < cols, "COOTriplets.append: index out of range")
        rowIndices.append(Int32(truncatingIfNeeded: row))
        colIndices.append(Int32(truncatingIfNeeded: col))
        values.append(value)
    }

    /// Canonical CSR: rows bucketed by a counting sort, columns sorted within each row, duplicates summed.
    /// O(nnz + rows) plus the per-row sorts.
    public func toCSR() -> CSRMatrix {
        var pointers = [Int](repeating: 0, count: rows + 1)
        for r in rowIndices { pointers[Int(r) + 1] += 1 }
        for i in 0..<rows { pointers[i + 1] += pointers[i] }
        var next = pointers
        var cols = [Int32](repeating: 0, count: count)
        var vals = [Double](repeating: 0, count: count)
        for k in 0..<count {
            let r = Int(rowIndices[k])
            cols[next[r]] = colIndices[k]
            vals[next[r]] = values[k]
            next[r] += 1
        }
        // Sort each row by column, then sum runs of equal columns while compacting in place.
        var outPointers = [Int](repeating: 0, count: rows + 1)
        var write = 0
        for i in 0..<rows {
            let start = pointers[i], end = pointers[i + 1]
            if end - start > 1 {
                var isSorted = true
                for k in start..<(end - 1) where cols[k] > cols[k + 1] { isSorted = false; break }
                if !isSorted {
                    let pairs = (start..<end).map { (cols[$0], vals[$0]) }.sorted { $0.0 < $1.0 }
                    for (o, p) in pairs.enumerated() { cols[start + o] = p.0; vals[start + o] = p.1 }
                }
            }
            var k = start
            while k < end {
                let c = cols[k]
                var sum = vals[k]
                k += 1
                while k < end, cols[k] == c { sum += vals[k]; k += 1 }
                cols[write] = c
                vals[write] = sum
                write += 1
            }
            outPointers[i + 1] = write
        }
        cols.removeLast(count - write)
        vals.removeLast(count - write)
        return CSRMatrix(uncheckedRows: rows, cols: self.cols, rowPointers: outPointers, colIndices: cols, values: vals)
    }
}
