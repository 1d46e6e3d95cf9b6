import Testing
@testable import SolverCore
import SolverTestSupport

/// `MatrixMarketReader`, `MatrixMarketWriter` and `VectorReader`: round trips, symmetric expansion, chunked
/// feeding at every offset, and a `parse_error` with the right line for each malformed file.
@Suite struct MatrixMarketTests {
    /// Reads `text` fed in one piece, or in pieces of at most `chunk` bytes.
    static func read(_ text: String, chunk: Int? = nil, limits: MatrixLimits = MatrixLimits()) throws -> CSRMatrix {
        var reader = MatrixMarketReader(limits: limits)
        try feed(Array(text.utf8), into: &reader, chunk: chunk)
        return try reader.finish()
    }

    static func readVector(_ text: String, chunk: Int? = nil) throws -> [Double] {
        var reader = VectorReader()
        try feed(Array(text.utf8), into: &reader, chunk: chunk)
        return try reader.finish()
    }

    static func feed(_ bytes: [UInt8], into consumer: inout some ByteChunkConsumer, chunk: Int?) throws {
        let size = max(1, chunk ?? bytes.count)
        var start = 0
        while start < bytes.count {
            try consumer.feed(bytes: bytes[start..<min(start + size, bytes.count)])
            start += size
        }
    }

    static func error(_ body: () throws -> Any) -> SolverError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? SolverError
        }
    }

    // MARK: Round trips

    static let generated: [(String, CSRMatrix)] = [
        ("plan example", MatrixGenerators.planExample()),
        ("laplacian 6×6 grid", MatrixGenerators.laplacian2D(side: 6, shift: 0.1)),
        ("random dominant", MatrixGenerators.randomDiagonallyDominant(n: 60, perRow: 5, seed: 11)),
        ("pagerank", MatrixGenerators.pageRank(n: 50, outDegree: 4)),
    ]

    @Test(arguments: 0..<generated.count)
    func writeThenReadGivesTheSameMatrix(_ index: Int) throws {
        let m = Self.generated[index].1
        let text = MatrixMarketWriter.write(m)
        #expect(text.hasPrefix("%%MatrixMarket matrix coordinate real general\n\(m.rows) \(m.cols) \(m.nnz)\n"))
        #expect(try Self.read(text) == m)
        #expect(try Self.read(text, chunk: 7) == m)
    }

    @Test func awkwardValuesRoundTripExactly() throws {
        let values: [Double] = [0.1, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0 / 3.0, -0.0, 123456789.123]
        var t = COOTriplets(rows: values.count, cols: values.count)
        for (i, v) in values.enumerated() { t.append(row: i, col: (i * 3) % values.count, value: v) }
        let m = t.toCSR()
        let back = try Self.read(MatrixMarketWriter.write(m))
        #expect(back.values.map(\.bitPattern) == m.values.map(\.bitPattern))
        #expect(back == m)
    }

    @Test func chunkedWriterMatchesTheWholeString() {
        let m = MatrixGenerators.laplacian2D(side: 10)
        var chunks: [String] = []
        MatrixMarketWriter.write(m, chunkSize: 256) { chunks.append($0) }
        #expect(chunks.count > 1)
        #expect(chunks.dropLast().allSatisfy { $0.utf8.count >= 256 })
        #expect(chunks.joined() == MatrixMarketWriter.write(m))
    }

    // MARK: Symmetry and fields

    @Test func symmetricMirrorsOffDiagonals() throws {
        let text = """
            %%MatrixMarket matrix coordinate real symmetric
            % lower triangle of tridiag(-1, 2, -1)
            3 3 5
            1 1 2
            2 1 -1
            2 2 2
            3 2 -1
            3 3 2
            """
        #expect(try Self.read(text) == MatrixGenerators.planExample())
    }

    @Test func skewSymmetricMirrorsNegated() throws {
        let text = "%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 2\n2 1 4.5\n3 1 -1\n"
        let m = try Self.read(text)
        #expect(m[1, 0] == 4.5 && m[0, 1] == -4.5)
        #expect(m[2, 0] == -1 && m[0, 2] == 1)
        #expect(m.nnz == 4)
    }

    @Test func patternAndIntegerFields() throws {
        let pattern = try Self.read("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n")
        #expect(pattern.values == [1, 1, 1])
        #expect(pattern[0, 1] == 1 && pattern[1, 0] == 1)
        let integer = try Self.read("%%matrixmarket MATRIX Coordinate INTEGER general\n2 3 2\n1 3 -7\n2 2 +4\n")
        #expect(integer.rows == 2 && integer.cols == 3)
        #expect(integer[0, 2] == -7 && integer[1, 1] == 4)
    }

    @Test func repeatedEntriesAreSummedAndFortranExponentsRead() throws {
        let m = try Self.read("%%MatrixMarket matrix coordinate real general\n1 1 3\n1 1 1.5D+00\n1 1 2.5d0\n\n1 1 1e0\n")
        #expect(m.nnz == 1 && m[0, 0] == 5)
    }

    @Test func arrayFormatIsColumnMajorWithZerosDropped() throws {
        let m = try Self.read("%%MatrixMarket matrix array real general\n2 3\n1\n0\n0\n4\n5\n0\n")
        #expect(m.rows == 2 && m.cols == 3 && m.nnz == 3)
        #expect(m[0, 0] == 1 && m[1, 1] == 4 && m[0, 2] == 5)
    }

    @Test func crlfLinesCommentsAndNoFinalNewline() throws {
        let text = "%%MatrixMarket matrix coordinate real general\r\n%c\r\n\r\n2 2 2\r\n1 1 3\r\n% mid\r\n2 2 4"
        let m = try Self.read(text)
        #expect(m[0, 0] == 3 && m[1, 1] == 4)
    }

    // MARK: Chunking

    static let smallFile = """
        %%MatrixMarket matrix coordinate real symmetric\r
        % a comment that is long enough to straddle several chunk boundaries
        4 4 6

        1 1 4.25
        2 1 -1e-3
        3 2 -0.5\r
        3 3 4
        4 3 1.5e+2
        4 4 4
        """

    @Test func everySplitOffsetGivesTheSameMatrix() throws {
        let bytes = Array(Self.smallFile.utf8)
        let whole = try Self.read(Self.smallFile)
        #expect(whole.nnz == 9)
        for cut in 0...bytes.count {
            var reader = MatrixMarketReader()
            try reader.feed(bytes: bytes[..<cut])
            try reader.feed(bytes: bytes[cut...])
            #expect(try reader.finish() == whole, "split at \(cut)")
        }
        #expect(try Self.read(Self.smallFile, chunk: 1) == whole)
    }

    @Test func everySplitOffsetGivesTheSameError() {
        let text = "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 x 1\n"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var reader = MatrixMarketReader()
            let error = Self.error {
                try reader.feed(bytes: bytes[..<cut])
                try reader.feed(bytes: bytes[cut...])
                return try reader.finish()
            }
            #expect(error?.field == "line 4", "split at \(cut)")
        }
    }

    @Test func aSpentReaderKeepsFailing() {
        var reader = MatrixMarketReader()
        let first = Self.error { try reader.feed(bytes: Array("not a banner\n".utf8)) }
        let second = Self.error { try reader.feed(bytes: Array("1 1 1\n".utf8)) }
        #expect(first != nil && first == second)
    }

    @Test func randomlyCorruptedFilesThrowOrParseButNeverTrap() {
        let bytes = Array(Self.smallFile.utf8)
        let alphabet = Array("0123456789 -+.eE%\n\rx".utf8)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            var corrupted = bytes
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let at = Int(rng.next() % UInt64(corrupted.count))
                corrupted[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            var reader = MatrixMarketReader()
            let outcome = Self.error {
                try reader.feed(bytes: corrupted)
                return try reader.finish()
            }
            if let outcome { #expect([.parseError, .empty, .tooLarge].contains(outcome.code), "\(outcome)") }
        }
    }

    // MARK: Malformed files

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let line: Int
        var testDescription: String { name }
    }

    static let banner = "%%MatrixMarket matrix coordinate real general\n"

    static let malformed: [Malformed] = [
        Malformed(name: "empty input", text: "", line: 1),
        Malformed(name: "no banner", text: "3 3 1\n1 1 1\n", line: 1),
        Malformed(name: "banner with too few words", text: "%%MatrixMarket matrix coordinate real\n", line: 1),
        Malformed(name: "vector object", text: "%%MatrixMarket vector coordinate real general\n", line: 1),
        Malformed(name: "complex field", text: "%%MatrixMarket matrix coordinate complex general\n", line: 1),
        Malformed(name: "hermitian", text: "%%MatrixMarket matrix coordinate real hermitian\n", line: 1),
        Malformed(name: "pattern array", text: "%%MatrixMarket matrix array pattern general\n", line: 1),
        Malformed(name: "missing size line", text: banner + "% only a comment\n", line: 2),
        Malformed(name: "size line with two numbers", text: banner + "%\n3 3\n", line: 3),
        Malformed(name: "negative size", text: banner + "-3 3 1\n", line: 2),
        Malformed(name: "size not a number", text: banner + "3 three 1\n", line: 2),
        Malformed(name: "malformed value", text: banner + "2 2 2\n1 1 1.0\n2 2 1.0.0\n", line: 4),
        Malformed(name: "NaN value", text: banner + "2 2 1\n1 1 nan\n", line: 3),
        Malformed(name: "infinite value", text: banner + "2 2 1\n1 1 1e999\n", line: 3),
        Malformed(name: "fractional index", text: banner + "2 2 1\n1.5 1 1\n", line: 3),
        Malformed(name: "row index 0 (1-based)", text: banner + "2 2 1\n0 1 1\n", line: 3),
        Malformed(name: "column index too large", text: banner + "2 2 2\n1 1 1\n\n1 3 1\n", line: 5),
        Malformed(name: "missing value", text: banner + "2 2 1\n1 1\n", line: 3),
        Malformed(name: "extra field", text: banner + "2 2 1\n1 1 1 1\n", line: 3),
        Malformed(name: "value in a pattern file", text: "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 1\n", line: 3),
        Malformed(name: "too few entries", text: banner + "2 2 3\n1 1 1\n2 2 1\n% end\n", line: 5),
        Malformed(name: "too many entries", text: banner + "2 2 1\n1 1 1\n2 2 1\n", line: 4),
        Malformed(name: "non-square symmetric", text: "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n", line: 2),
        Malformed(name: "skew diagonal", text: "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 3\n", line: 3),
        Malformed(name: "integer field with a real", text: "%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2.5\n", line: 3),
        Malformed(name: "short array", text: "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", line: 5),
    ]

    @Test(arguments: malformed)
    func malformedFileNamesItsLine(_ c: Malformed) {
        let error = Self.error { try Self.read(c.text) }
        #expect(error?.code == .parseError, "\(String(describing: error))")
        #expect(error?.field == "line \(c.line)", "\(String(describing: error))")
        #expect(error?.message.hasPrefix("line \(c.line): ") == true)
    }

    @Test func sizesOverTheLimitsFailBeforeReading() {
        let rows = Self.error { try Self.read(Self.banner + "99999999999 1 1\n") }
        #expect(rows?.code == .tooLarge && rows?.field == "line 2")
        let entries = Self.error { try Self.read(Self.banner + "3 3 1000000000000\n1 1 1\n") }
        #expect(entries?.code == .tooLarge && entries?.field == "line 2")
        let cells = Self.error { try Self.read("%%MatrixMarket matrix array real general\n4000000000 4000000000\n") }
        #expect(cells?.code == .tooLarge)
        let expanded = Self.error {
            try Self.read("%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n2 1 1\n3 1 1\n",
                          limits: MatrixLimits(maxNonzeros: 3))
        }
        #expect(expanded?.code == .tooLarge && expanded?.field == "line 4")
    }

    @Test func emptyMatrixIsRejected() {
        let error = Self.error { try Self.read(Self.banner + "3 3 0\n") }
        #expect(error?.code == .empty)
    }

    @Test func overlongLineIsAParseError() {
        let long = Self.banner + "% " + String(repeating: "x", count: LineAssembler.defaultMaxLineLength) + "\n"
        let error = Self.error { try Self.read(long, chunk: 1 << 16) }
        #expect(error?.code == .parseError && error?.field == "line 2")
    }

    // MARK: Vectors

    @Test func vectorFromPlainNumbers() throws {
        let text = "# b for the example system\n1\n2.0\n\n% note\n3e0\n"
        #expect(try Self.readVector(text) == [1, 2, 3])
        #expect(try Self.readVector("1 2\t3") == [1, 2, 3])
        for cut in 1...text.utf8.count { #expect(try Self.readVector(text, chunk: cut) == [1, 2, 3]) }
    }

    @Test func vectorFromMatrixMarket() throws {
        let b = MatrixGenerators.randomVector(25)
        let text = MatrixMarketWriter.write(vector: b)
        #expect(text.hasPrefix("%%MatrixMarket matrix array real general\n25 1\n"))
        #expect(try Self.readVector(text) == b)
        #expect(try Self.readVector(text, chunk: 3) == b)
        let row = "%%MatrixMarket matrix array real general\n1 3\n1\n2\n3\n"
        #expect(try Self.readVector(row) == [1, 2, 3])
        let sparse = "%%MatrixMarket matrix coordinate real general\n4 1 2\n2 1 5\n4 1 -1\n"
        #expect(try Self.readVector(sparse) == [0, 5, 0, -1])
    }

    @Test func vectorErrors() {
        #expect(Self.error { try Self.readVector("1\n2\nabc\n") }?.field == "line 3")
        #expect(Self.error { try Self.readVector("1\ninf\n") }?.code == .parseError)
        #expect(Self.error { try Self.readVector("# nothing\n") }?.code == .empty)
        #expect(Self.error { try Self.readVector("") }?.code == .empty)
        let matrix = Self.error { try Self.readVector("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n") }
        #expect(matrix?.code == .dimensionMismatch)
    }
}
