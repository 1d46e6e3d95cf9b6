/// The banner line of a Matrix Market file, `%%MatrixMarket matrix <format> <field> <symmetry>`, restricted to
/// the combinations this package reads: real, integer or pattern coordinate matrices (general, symmetric,
/// skew-symmetric) and real or integer general dense arrays. Complex and Hermitian files are refused with a
/// clear `parse_error` rather than read wrongly.
public struct MatrixMarketHeader: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable {
        /// Sparse: one `row col [value]` line per stored entry, 1-based.
        case coordinate
        /// Dense: every value, column-major, one per line.
        case array
    }

    public enum Field: String, Sendable, Hashable {
        case real, integer
        /// No values; every stored entry is 1.
        case pattern
    }

    public enum Symmetry: String, Sendable, Hashable {
        case general, symmetric
        /// Only the strict lower triangle is stored; `A[j][i] = −A[i][j]`.
        case skewSymmetric = "skew-symmetric"
    }

    public var format: Format
    public var field: Field
    public var symmetry: Symmetry

    public init(format: Format, field: Field, symmetry: Symmetry) {
        self.format = format
        self.field = field
        self.symmetry = symmetry
    }

    /// The banner as written at the top of a file.
    public var bannerLine: String {
        "%%MatrixMarket matrix \(format.rawValue) \(field.rawValue) \(symmetry.rawValue)"
    }

    /// Parses a banner line (case-insensitive, as the format allows); errors are `parse_error` on `lineNumber`.
    init(bannerLine line: ArraySlice<UInt8>, lineNumber: Int) throws {
        func fail(_ message: String) -> SolverError { SolverError.parseError(line: lineNumber, message) }
        var ranges: [Range<Int>] = []
        ASCIIText.tokenize(line, into: &ranges, limit: 5)
        let words = ranges.map { String(decoding: line[$0].map(ASCIIText.lowercased), as: UTF8.self) }
        guard words.first == "%%matrixmarket" else {
            throw fail("expected the banner '%%MatrixMarket matrix coordinate real general' (or similar), found "
                + ASCIIText.quoted(line))
        }
        guard words.count == 5 else {
            throw fail("the banner needs 4 words after %%MatrixMarket (object format field symmetry), found \(words.count - 1)")
        }
        guard words[1] == "matrix" else { throw fail("object '\(words[1])' is not supported; expected 'matrix'") }
        guard let format = Format(rawValue: words[2]) else {
            throw fail("format '\(words[2])' is not supported; expected coordinate or array")
        }
        let fieldWord = words[3] == "double" ? "real" : words[3]
        guard let field = Field(rawValue: fieldWord) else {
            throw fail("field '\(words[3])' is not supported; expected real, integer or pattern")
        }
        guard let symmetry = Symmetry(rawValue: words[4]) else {
            throw fail("symmetry '\(words[4])' is not supported; expected general, symmetric or skew-symmetric")
        }
        if format == .array {
            guard field != .pattern else { throw fail("an array file cannot have the pattern field") }
            guard symmetry == .general else { throw fail("array files are read only with general symmetry") }
        }
        self.init(format: format, field: field, symmetry: symmetry)
    }
}
