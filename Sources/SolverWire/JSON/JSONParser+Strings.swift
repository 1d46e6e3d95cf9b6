/// String parsing: escapes, surrogate pairs and strict UTF-8 validation (Unicode Table 3-7: no overlong forms,
/// no encoded surrogates, nothing above U+10FFFF). Outside strings any non-ASCII byte is already a syntax error,
/// so validating here validates the whole document.
extension JSONParser {
    /// Parses the string whose opening quote is at the cursor.
    mutating func parseString() throws -> String {
        let open = pos
        pos += 1
        let start = pos
        // Fast path: plain ASCII without escapes is copied once.
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: bytes[start..<(pos - 1)], as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
            pos += 1
        }
        var buffer = Array(bytes[start..<pos])
        while true {
            guard pos < bytes.count else { throw fail("unterminated string", at: open) }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            } else if c == UInt8(ascii: "\\") {
                try parseEscape(into: &buffer)
            } else if c < 0x20 {
                throw fail("control character 0x\(String(c, radix: 16)) must be escaped in a string")
            } else if c < 0x80 {
                buffer.append(c)
                pos += 1
            } else {
                let length = try utf8SequenceLength(at: pos)
                buffer.append(contentsOf: bytes[pos..<(pos + length)])
                pos += length
            }
        }
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws {
        let escapeStart = pos
        pos += 1
        guard pos < bytes.count else { throw fail("unterminated escape", at: escapeStart) }
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(c)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                    throw fail("high surrogate \\u\(String(scalar, radix: 16)) is not followed by a low surrogate", at: escapeStart)
                }
                pos += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail("high surrogate is followed by \\u\(String(low, radix: 16)), not a low surrogate", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("lone low surrogate \\u\(String(scalar, radix: 16))", at: escapeStart)
            }
            // Not a surrogate, or a combined pair: always a valid scalar.
            buffer.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: escapeStart)
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in \\u escape, found \(found)")
            }
            value = value << 4 | UInt32(nibble)
            pos += 1
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence starting at `i` (a non-ASCII lead byte), or an error.
    private func utf8SequenceLength(at i: Int) throws -> Int {
        let lead = bytes[i]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8 lead byte 0x\(String(lead, radix: 16))", at: i)
        }
        guard i + length <= bytes.count, secondRange.contains(bytes[i + 1]),
              (2..<length).allSatisfy({ (0x80...0xBF).contains(bytes[i + $0]) })
        else { throw fail("invalid UTF-8 sequence", at: i) }
        return length
    }
}
