/// A streaming Matrix Market reader: feed it the file in chunks of any size, then `finish()`.
///
/// ```swift
/// var reader = MatrixMarketReader(limits: limits)
/// while let chunk = nextChunk() { try reader.feed(bytes: chunk) }   // e.g. 64 KB at a time
/// let matrix = try reader.finish()
/// ```
///
/// No I/O happens here; only one partial line and the entries read so far are held. Reads
/// `coordinate real|integer|pattern general|symmetric|skew-symmetric` (1-based; symmetric files mirror each
/// off-diagonal entry, skew-symmetric ones mirror it negated, pattern entries are 1, repeated entries are summed
/// as scipy does) and dense `array real|integer general` (column-major, zeros dropped). `%` comment lines and
/// blank lines may appear anywhere after the banner.
///
/// The size line is checked against `MatrixLimits` before anything is reserved, and the reservation is also
/// capped (`reserveCap`) because a size line can promise entries the file never delivers. Every structural
/// problem is a `parse_error` whose message and `field` name the line; sizes over the limits are `too_large`.
public struct MatrixMarketReader: ByteChunkConsumer, Sendable {
    /// Sizes from the size line; for arrays `entries` is `rows × cols`.
    public struct Size: Sendable, Hashable {
        public var rows: Int
        public var cols: Int
        public var entries: Int
    }

    /// The most storage reserved up front from a declared count (entries beyond it grow the arrays as usual).
    static let reserveCap = 1 << 20

    public let limits: MatrixLimits
    public private(set) var header: MatrixMarketHeader?
    public private(set) var size: Size?

    private var lines = LineAssembler()
    private var tokens: [Range<Int>] = []
    private var sizeLineNumber = 0
    private var entriesRead = 0
    /// Coordinate entries, after symmetric expansion.
    private var triplets = COOTriplets(rows: 0, cols: 0)
    /// Array values, column-major.
    private var dense: [Double] = []
    private var failure: SolverError?
    private var ended = false

    public init(limits: MatrixLimits = MatrixLimits()) {
        self.limits = limits
    }

    public mutating func feed(bytes: ArraySlice<UInt8>) throws {
        try recordingFailure { reader in
            guard !reader.ended else {
                throw SolverError(.invalidArgument, "feed(bytes:) called after finish()", field: nil)
            }
            var cursor = bytes.startIndex
            while let line = try reader.lines.nextLine(in: bytes, cursor: &cursor) {
                try reader.handle(line)
            }
        }
    }

    /// Ends the input and returns the matrix in canonical CSR form.
    public mutating func finish() throws -> CSRMatrix {
        let (header, size) = try complete()
        let m: CSRMatrix
        switch header.format {
        case .coordinate: m = try triplets.toFiniteCSR(field: "line \(sizeLineNumber)")
        case .array: m = Self.csr(columnMajor: dense, rows: size.rows, cols: size.cols)
        }
        guard m.rows > 0, m.cols > 0, m.nnz > 0 else {
            throw SolverError(.empty, "the matrix is \(m.rows)×\(m.cols) with \(m.nnz) stored entries", field: "line \(sizeLineNumber)")
        }
        return m
    }

    /// Ends the input and returns it as a vector: the file must have one column (n×1) or one row (1×n).
    /// Used for right-hand sides (`--rhs b.mtx`); coordinate files give zeros where nothing is stored.
    public mutating func finishVector() throws -> [Double] {
        let (header, size) = try complete()
        let field = "line \(sizeLineNumber)"
        guard size.rows == 1 || size.cols == 1 else {
            throw SolverError.dimensionMismatch("a vector needs one column or one row, the file is \(size.rows)×\(size.cols)", field: field)
        }
        let length = size.rows == 1 ? size.cols : size.rows
        guard length > 0 else { throw SolverError(.empty, "the vector has no entries", field: field) }
        guard header.format == .coordinate else { return dense }
        var vector = [Double](repeating: 0, count: length)
        for k in 0..<triplets.count {
            vector[Int(size.rows == 1 ? triplets.colIndices[k] : triplets.rowIndices[k])] += triplets.values[k]
        }
        if let k = vector.firstIndex(where: { !$0.isFinite }) {
            throw SolverError(.nonFinite, "entries of row \(k) sum to \(vector[k])", field: field)
        }
        return vector
    }

    // MARK: Lines

    /// Flushes a final unterminated line and checks that the file was complete.
    private mutating func complete() throws -> (MatrixMarketHeader, Size) {
        try recordingFailure { reader in
            if !reader.ended, let line = reader.lines.finalLine() { try reader.handle(line) }
            reader.ended = true
            let last = max(reader.lines.lineNumber, 1)
            guard let header = reader.header else {
                throw SolverError.parseError(line: last, "empty input; expected a %%MatrixMarket banner")
            }
            guard let size = reader.size else {
                throw SolverError.parseError(line: last, "the size line is missing")
            }
            guard reader.entriesRead == size.entries else {
                throw SolverError.parseError(
                    line: last, "the file ended after \(reader.entriesRead) of the \(size.entries) entries declared "
                        + "on line \(reader.sizeLineNumber)")
            }
            return (header, size)
        }
    }

    private mutating func handle(_ line: ArraySlice<UInt8>) throws {
        let number = lines.lineNumber
        guard let header else {
            header = try MatrixMarketHeader(bannerLine: line, lineNumber: number)
            return
        }
        if ASCIIText.isBlankOrComment(line) { return }
        guard let size else {
            try readSize(line, number: number, format: header.format)
            return
        }
        guard entriesRead < size.entries else {
            throw SolverError.parseError(
                line: number, "more entries than the \(size.entries) declared on line \(sizeLineNumber)")
        }
        entriesRead += 1
        switch header.format {
        case .coordinate: try readEntry(line, number: number, header: header, size: size)
        case .array: dense.append(try readFields(line, number: number, indexCount: 0, header: header).value)
        }
    }

    private mutating func readSize(_ line: ArraySlice<UInt8>, number: Int, format: MatrixMarketHeader.Format) throws {
        let names = format == .coordinate ? ["rows", "columns", "entries"] : ["rows", "columns"]
        ASCIIText.tokenize(line, into: &tokens, limit: names.count)
        guard tokens.count == names.count else {
            throw SolverError.parseError(
                line: number, "the size line needs \(names.count) integers (\(names.joined(separator: " "))), found \(tokens.count)")
        }
        var numbers: [Int] = []
        for (range, name) in zip(tokens, names) {
            guard let n = ASCIIText.parseInt(line[range]), n >= 0 else {
                throw SolverError.parseError(line: number, "\(name) must be a non-negative integer, found \(ASCIIText.quoted(line[range]))")
            }
            numbers.append(n)
        }
        let field = "line \(number)"
        try limits.checkDimension(numbers[0], "rows", field: field)
        try limits.checkDimension(numbers[1], "columns", field: field)
        if header?.symmetry != .general, numbers[0] != numbers[1] {
            throw SolverError.parseError(line: number, "a symmetric or skew-symmetric matrix must be square, found \(numbers[0])×\(numbers[1])")
        }
        let (cells, overflow) = numbers[0].multipliedReportingOverflow(by: numbers[1])
        let entries = format == .coordinate ? numbers[2] : (overflow ? Int.max : cells)
        try limits.checkNonzeros(entries, field: field)
        size = Size(rows: numbers[0], cols: numbers[1], entries: entries)
        sizeLineNumber = number
        let reservation = min(entries, Self.reserveCap)
        if format == .coordinate {
            triplets = COOTriplets(rows: numbers[0], cols: numbers[1])
            triplets.reserve(header?.symmetry == .general ? reservation : min(2 * reservation, Self.reserveCap))
        } else {
            dense.reserveCapacity(reservation)
        }
    }

    private mutating func readEntry(
        _ line: ArraySlice<UInt8>, number: Int, header: MatrixMarketHeader, size: Size
    ) throws {
        let entry = try readFields(line, number: number, indexCount: 2, header: header)
        try Self.checkIndex(entry.row, "row", bound: size.rows, line: number)
        try Self.checkIndex(entry.col, "column", bound: size.cols, line: number)
        let (i, j, v) = (entry.row - 1, entry.col - 1, entry.value)
        triplets.append(row: i, col: j, value: v)
        if i != j {
            switch header.symmetry {
            case .general: break
            case .symmetric: triplets.append(row: j, col: i, value: v)
            case .skewSymmetric: triplets.append(row: j, col: i, value: -v)
            }
        } else if header.symmetry == .skewSymmetric, v != 0 {
            throw SolverError.parseError(line: number, "a skew-symmetric matrix has a zero diagonal, found \(v) at (\(entry.row), \(entry.col))")
        }
        if triplets.count > limits.maxNonzeros {
            throw SolverError.tooLarge("the entries expand to more than \(limits.maxNonzeros)", field: "line \(number)")
        }
    }

    private static func checkIndex(_ index: Int, _ name: String, bound: Int, line: Int) throws {
        guard index >= 1, index <= bound else {
            throw SolverError.parseError(line: line, "\(name) index \(index) is outside 1...\(bound)")
        }
    }

    /// Splits a data line into `indexCount` integer indices (row, then column) followed by the value, which
    /// pattern files omit (it is then 1). Nothing is allocated per line.
    private mutating func readFields(
        _ line: ArraySlice<UInt8>, number: Int, indexCount: Int, header: MatrixMarketHeader
    ) throws -> (row: Int, col: Int, value: Double) {
        let hasValue = header.field != .pattern
        let expected = indexCount + (hasValue ? 1 : 0)
        ASCIIText.tokenize(line, into: &tokens, limit: expected)
        guard tokens.count == expected else {
            let names = ["row", "column"].prefix(indexCount) + (hasValue ? ["value"] : [])
            throw SolverError.parseError(
                line: number, "expected \(expected) field\(expected == 1 ? "" : "s") (\(names.joined(separator: " "))), found "
                    + (tokens.count > expected ? "more" : "\(tokens.count)"))
        }
        var indices = (row: 0, col: 0)
        for f in 0..<indexCount {
            let token = line[tokens[f]]
            guard let n = ASCIIText.parseInt(token) else {
                throw SolverError.parseError(
                    line: number, "\(f == 0 ? "row" : "column") index must be an integer, found \(ASCIIText.quoted(token))")
            }
            if f == 0 { indices.row = n } else { indices.col = n }
        }
        guard hasValue else { return (indices.row, indices.col, 1) }
        let token = line[tokens[indexCount]]
        let parsed = header.field == .integer ? ASCIIText.parseInt(token).map(Double.init) : ASCIIText.parseDouble(token)
        guard let value = parsed else {
            throw SolverError.parseError(line: number, "malformed \(header.field.rawValue) value \(ASCIIText.quoted(token))")
        }
        guard value.isFinite else {
            throw SolverError.parseError(line: number, "value \(ASCIIText.quoted(token)) is NaN or infinite")
        }
        return (indices.row, indices.col, value)
    }

    // MARK: Helpers

    /// Runs `body`, remembering the first error so a spent reader keeps failing the same way.
    private mutating func recordingFailure<T>(_ body: (inout MatrixMarketReader) throws -> T) throws -> T {
        if let failure { throw failure }
        do {
            return try body(&self)
        } catch let error as SolverError {
            failure = error
            throw error
        }
    }

    /// Dense column-major values as CSR, zeros dropped.
    private static func csr(columnMajor values: [Double], rows: Int, cols: Int) -> CSRMatrix {
        var pointers = [0]
        var indices: [Int32] = []
        var stored: [Double] = []
        pointers.reserveCapacity(rows + 1)
        for i in 0..<rows {
            for j in 0..<cols where values[j * rows + i] != 0 {
                indices.append(Int32(truncatingIfNeeded: j))
                stored.append(values[j * rows + i])
            }
            pointers.append(stored.count)
        }
        return CSRMatrix(uncheckedRows: rows, cols: cols, rowPointers: pointers, colIndices: indices, values: stored)
    }
}
