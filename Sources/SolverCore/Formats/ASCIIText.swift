/// Byte-level helpers for the line-oriented text formats (Matrix Market, plain number lists): whitespace
/// tokenising and number parsing straight from the input bytes, without building a `String` per line.
enum ASCIIText {
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == 0x0B || byte == 0x0C
    }

    /// Whether the line is empty, only whitespace, or a comment: its first non-blank byte is `%` (or
    /// `alsoComment`, for formats that allow a second mark).
    static func isBlankOrComment(_ line: ArraySlice<UInt8>, alsoComment: UInt8? = nil) -> Bool {
        guard let first = line.first(where: { !isSpace($0) }) else { return true }
        return first == UInt8(ascii: "%") || first == alsoComment
    }

    /// Fills `tokens` with the index ranges of the whitespace-separated tokens of `line`, stopping after
    /// `limit + 1` so callers can report "too many fields" without scanning a hostile line to its end.
    static func tokenize(_ line: ArraySlice<UInt8>, into tokens: inout [Range<Int>], limit: Int) {
        tokens.removeAll(keepingCapacity: true)
        var i = line.startIndex
        while i < line.endIndex, tokens.count <= limit {
            while i < line.endIndex, isSpace(line[i]) { i += 1 }
            guard i < line.endIndex else { break }
            let start = i
            while i < line.endIndex, !isSpace(line[i]) { i += 1 }
            tokens.append(start..<i)
        }
    }

    /// A decimal integer with optional sign; nil when malformed or outside `Int`.
    static func parseInt(_ token: ArraySlice<UInt8>) -> Int? {
        var digits = token[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = next
        }
        return value
    }

    /// A floating-point number as Swift's `Double(_:)` reads it (shortest round-trip output reads back exactly),
    /// also accepting Fortran's `D` exponent (`1.5D+03`) that older Matrix Market files use. May return ±∞ or
    /// NaN for `inf`/`nan`; callers reject those.
    static func parseDouble(_ token: ArraySlice<UInt8>) -> Double? {
        guard !token.isEmpty, token.count <= 1024 else { return nil }
        if let value = Double(String(decoding: token, as: UTF8.self)) { return value }
        let isFortranExponent: (UInt8) -> Bool = { $0 == UInt8(ascii: "D") || $0 == UInt8(ascii: "d") }
        guard token.contains(where: isFortranExponent) else { return nil }
        let fixed = token.map { isFortranExponent($0) ? UInt8(ascii: "e") : $0 }
        return Double(String(decoding: fixed, as: UTF8.self))
    }

    /// A token for an error message: at most 40 bytes, lossily decoded.
    static func quoted(_ token: ArraySlice<UInt8>) -> String {
        let shown = String(decoding: token.prefix(40), as: UTF8.self)
        return "'\(shown)\(token.count > 40 ? "…" : "")'"
    }

    /// Whether `bytes` starts with `prefix`, ignoring ASCII case.
    static func hasPrefixIgnoringCase(_ bytes: some Collection<UInt8>, _ prefix: String) -> Bool {
        guard bytes.count >= prefix.utf8.count else { return false }
        return zip(bytes, prefix.utf8).allSatisfy { lowercased($0) == lowercased($1) }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
