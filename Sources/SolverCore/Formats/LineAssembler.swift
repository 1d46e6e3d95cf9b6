/// Reassembles text lines from byte chunks cut at arbitrary offsets, so a parser can be fed a file 64 KB at a
/// time without ever holding more than one partial line.
///
/// A line ends at `\n`; a `\r` before it is dropped. Only a line that straddles chunks is copied (into `carry`);
/// lines wholly inside a chunk are returned as slices of it. Lines longer than `maxLineLength` are a
/// `parse_error`, checked whether or not the line straddles chunks, so the outcome never depends on where the
/// input was cut.
struct LineAssembler: Sendable {
    /// Far longer than any Matrix Market or number line; bounds the carry buffer against input with no newlines.
    static let defaultMaxLineLength = 1 << 20

    let maxLineLength: Int
    /// The number of the line most recently returned (1-based).
    private(set) var lineNumber = 0
    private var carry: [UInt8] = []
    /// Set when the last returned line was `carry`; it is cleared on the next call, after the caller is done.
    private var carryReturned = false

    init(maxLineLength: Int = LineAssembler.defaultMaxLineLength) {
        self.maxLineLength = maxLineLength
    }

    /// The next complete line of `chunk` at or after `cursor` (moved past its `\n`), or nil when the chunk holds
    /// no further line end; its tail is then kept for the next chunk.
    mutating func nextLine(in chunk: ArraySlice<UInt8>, cursor: inout Int) throws -> ArraySlice<UInt8>? {
        clearReturnedCarry()
        guard cursor < chunk.endIndex else { return nil }
        guard let newline = chunk[cursor...].firstIndex(of: UInt8(ascii: "\n")) else {
            try checkLength(carry.count + (chunk.endIndex - cursor))
            carry.append(contentsOf: chunk[cursor...])
            cursor = chunk.endIndex
            return nil
        }
        try checkLength(carry.count + (newline - cursor))
        lineNumber += 1
        let line: ArraySlice<UInt8>
        if carry.isEmpty {
            line = chunk[cursor..<newline]
        } else {
            carry.append(contentsOf: chunk[cursor..<newline])
            carryReturned = true
            line = carry[...]
        }
        cursor = newline + 1
        return Self.droppingCarriageReturn(line)
    }

    /// The final line when the input did not end with a newline, else nil. Call once, at the end of input.
    mutating func finalLine() -> ArraySlice<UInt8>? {
        clearReturnedCarry()
        guard !carry.isEmpty else { return nil }
        lineNumber += 1
        carryReturned = true
        return Self.droppingCarriageReturn(carry[...])
    }

    private mutating func clearReturnedCarry() {
        if carryReturned {
            carry.removeAll(keepingCapacity: true)
            carryReturned = false
        }
    }

    private func checkLength(_ length: Int) throws {
        guard length <= maxLineLength else {
            throw SolverError.parseError(line: lineNumber + 1, "line is longer than \(maxLineLength) bytes")
        }
    }

    private static func droppingCarriageReturn(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }
}

/// A parser that reads its input one line at a time (plain numbers, edge lists): `feedLines` splits the chunks and
/// remembers the first error, so a spent parser keeps failing the same way.
protocol LineParser {
    var lines: LineAssembler { get set }
    var failure: SolverError? { get set }
    mutating func read(_ line: ArraySlice<UInt8>) throws
}

extension LineParser {
    mutating func feedLines(_ bytes: ArraySlice<UInt8>) throws {
        if let failure { throw failure }
        var cursor = bytes.startIndex
        do {
            while let line = try lines.nextLine(in: bytes, cursor: &cursor) { try read(line) }
        } catch let error as SolverError {
            failure = error
            throw error
        }
    }

    /// The unterminated last line, if any; call once, at the end of input.
    mutating func finishLines() throws {
        if let failure { throw failure }
        if let line = lines.finalLine() { try read(line) }
    }
}
