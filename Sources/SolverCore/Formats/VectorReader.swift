/// Reads a vector (a right-hand side, `--rhs FILE`) from either of two text forms, chosen by the first bytes:
/// - a Matrix Market file (first line starts with `%%MatrixMarket`) with one column or one row, dense `array`
///   or sparse `coordinate` (read by `MatrixMarketReader.finishVector()`);
/// - otherwise plain numbers separated by newlines or other whitespace; blank lines and lines starting with
///   `%` or `#` are skipped.
///
/// A push parser like `MatrixMarketReader`: feed chunks cut anywhere, then `finish()`. Malformed numbers are a
/// `parse_error` naming the line; more numbers than `limits.maxRows` is `too_large`; no numbers is `empty_matrix`.
public struct VectorReader: ByteChunkConsumer, Sendable {
    private static let banner = "%%MatrixMarket"

    public let limits: MatrixLimits
    /// Bytes held until the form can be decided (at most the banner's length or the first line).
    private var undecided: [UInt8] = []
    private var matrixMarket: MatrixMarketReader?
    private var plain: PlainNumbers?

    public init(limits: MatrixLimits = MatrixLimits()) {
        self.limits = limits
    }

    public mutating func feed(bytes: ArraySlice<UInt8>) throws {
        if matrixMarket == nil, plain == nil {
            undecided.append(contentsOf: bytes)
            guard undecided.count >= Self.banner.utf8.count || undecided.contains(UInt8(ascii: "\n")) else { return }
            return try decide()
        }
        try matrixMarket?.feed(bytes: bytes)
        try plain?.feed(bytes)
    }

    /// Ends the input and returns the vector.
    public mutating func finish() throws -> [Double] {
        if matrixMarket == nil, plain == nil { try decide() }
        if matrixMarket != nil { return try matrixMarket?.finishVector() ?? [] }
        return try plain?.finish() ?? []
    }

    /// Picks the form from the held bytes and replays them into it.
    private mutating func decide() throws {
        let held = undecided
        undecided = []
        if ASCIIText.hasPrefixIgnoringCase(held, Self.banner) {
            matrixMarket = MatrixMarketReader(limits: limits)
            try matrixMarket?.feed(bytes: held[...])
        } else {
            plain = PlainNumbers(limits: limits)
            try plain?.feed(held[...])
        }
    }
}

/// The plain-text form of `VectorReader`: whitespace-separated numbers, `%`/`#` comment lines.
struct PlainNumbers: LineParser, Sendable {
    let limits: MatrixLimits
    var lines = LineAssembler()
    var failure: SolverError?
    private var tokens: [Range<Int>] = []
    private var values: [Double] = []

    init(limits: MatrixLimits) {
        self.limits = limits
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>) throws {
        try feedLines(bytes)
    }

    mutating func finish() throws -> [Double] {
        try finishLines()
        guard !values.isEmpty else {
            throw SolverError(.empty, "the input holds no numbers", field: "line \(max(lines.lineNumber, 1))")
        }
        return values
    }

    mutating func read(_ line: ArraySlice<UInt8>) throws {
        let number = lines.lineNumber
        if ASCIIText.isBlankOrComment(line, alsoComment: UInt8(ascii: "#")) { return }
        ASCIIText.tokenize(line, into: &tokens, limit: Int.max - 1)
        for range in tokens {
            guard let v = ASCIIText.parseDouble(line[range]) else {
                throw SolverError.parseError(line: number, "malformed number \(ASCIIText.quoted(line[range]))")
            }
            guard v.isFinite else {
                throw SolverError.parseError(line: number, "value \(ASCIIText.quoted(line[range])) is NaN or infinite")
            }
            guard values.count < limits.dimensionCap else {
                throw SolverError.tooLarge("more than \(limits.dimensionCap) numbers", field: "line \(number)")
            }
            values.append(v)
        }
    }
}
