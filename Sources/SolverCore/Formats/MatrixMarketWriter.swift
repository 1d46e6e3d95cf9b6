/// Writes matrices as `%%MatrixMarket matrix coordinate real general` (or `symmetric`: the lower triangle only)
/// and vectors as `array real general` (n×1), the forms `MatrixMarketReader` and `VectorReader` read back.
///
/// Values use Swift's `Double.description`, the shortest text that reads back to the same `Double`, so a write
/// followed by a read reproduces the matrix exactly. The sink variants hand the text over in chunks of about
/// `chunkSize` bytes, so a large matrix is never held as one string.
public enum MatrixMarketWriter {
    public static let defaultChunkSize = 1 << 16

    /// The whole file as one string (fine for small matrices and tests).
    public static func write(_ matrix: CSRMatrix, symmetric: Bool = false) -> String {
        var text = ""
        write(matrix, symmetric: symmetric, chunkSize: defaultChunkSize) { text += $0 }
        return text
    }

    /// Streams the file to `sink` in chunks of about `chunkSize` bytes (the last may be shorter). `symmetric`
    /// writes the entries on and below the diagonal under a `symmetric` banner; the caller knows A = Aᵀ.
    public static func write(
        _ matrix: CSRMatrix, symmetric: Bool = false, chunkSize: Int = defaultChunkSize, to sink: (String) throws -> Void
    ) rethrows {
        var out = ChunkedText(chunkSize: chunkSize)
        let header = MatrixMarketHeader(format: .coordinate, field: .real, symmetry: symmetric ? .symmetric : .general)
        let entries = symmetric ? (0..<matrix.rows).reduce(0) { $0 + lowerEntries(matrix, row: $1).count } : matrix.nnz
        if let chunk = out.append("\(header.bannerLine)\n\(matrix.rows) \(matrix.cols) \(entries)\n") { try sink(chunk) }
        for row in 0..<matrix.rows {
            for k in symmetric ? lowerEntries(matrix, row: row) : matrix.rowPointers[row]..<matrix.rowPointers[row + 1] {
                if let chunk = out.append("\(row + 1) \(Int(matrix.colIndices[k]) + 1) \(matrix.values[k])\n") {
                    try sink(chunk)
                }
            }
        }
        if let chunk = out.remainder() { try sink(chunk) }
    }

    /// Positions of row `row`'s entries in columns `0...row` (columns are sorted within a row).
    private static func lowerEntries(_ m: CSRMatrix, row: Int) -> Range<Int> {
        let start = m.rowPointers[row], end = m.rowPointers[row + 1]
        var k = start
        while k < end, Int(m.colIndices[k]) <= row { k += 1 }
        return start..<k
    }

    /// A vector as an n×1 `array real general` file, as one string.
    public static func write(vector: [Double]) -> String {
        var text = ""
        write(vector: vector, chunkSize: defaultChunkSize) { text += $0 }
        return text
    }

    /// Streams a vector as an n×1 `array real general` file to `sink`.
    public static func write(
        vector: [Double], chunkSize: Int = defaultChunkSize, to sink: (String) throws -> Void
    ) rethrows {
        var out = ChunkedText(chunkSize: chunkSize)
        let header = MatrixMarketHeader(format: .array, field: .real, symmetry: .general)
        if let chunk = out.append("\(header.bannerLine)\n\(vector.count) 1\n") { try sink(chunk) }
        for v in vector {
            if let chunk = out.append("\(v)\n") { try sink(chunk) }
        }
        if let chunk = out.remainder() { try sink(chunk) }
    }

    /// Collects text and releases it in chunks of at least `chunkSize` bytes.
    private struct ChunkedText {
        let chunkSize: Int
        var buffer = ""

        init(chunkSize: Int) {
            self.chunkSize = max(1, chunkSize)
            buffer.reserveCapacity(min(self.chunkSize, 1 << 20) + 64)
        }

        /// Appends `text`; returns a full chunk when one is ready.
        mutating func append(_ text: String) -> String? {
            buffer += text
            guard buffer.utf8.count >= chunkSize else { return nil }
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }

        /// What is left at the end, if anything.
        mutating func remainder() -> String? {
            buffer.isEmpty ? nil : buffer
        }
    }
}
