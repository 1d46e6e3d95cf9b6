import SolverCore

/// The recursive-descent parser behind `JSONReader`: one pass over the bytes, one cursor (`pos`).
///
/// Invariant: `0 <= pos <= bytes.count`; each `parse…` method starts at the first byte of its token and leaves
/// `pos` just after it. Depth is counted on entry to every array and object, so hostile nesting fails with an
/// error before the stack grows further.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var pos = 0
    var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard pos == bytes.count else { throw fail("unexpected data after the JSON value") }
        return value
    }

    func fail(_ message: String, at offset: Int? = nil) -> SolverError {
        SolverError(.invalidJSON, "invalid JSON at byte \(offset ?? pos): \(message)")
    }

    /// What is at the cursor, for error messages.
    var found: String {
        guard pos < bytes.count else { return "the end of the input" }
        let c = bytes[pos]
        return (0x20..<0x7F).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    @inline(__always) mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    @inline(__always) func isNumberStart(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    mutating func parseValue() throws -> JSONValue {
        guard pos < bytes.count else { throw fail("unexpected end of input; expected a value") }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default:
            guard isNumberStart(c) else { throw fail("expected a value, found \(found)") }
            return .number(try parseNumber())
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws {
        let start = pos
        let length = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in
            pos + length <= bytes.count && (0..<length).allSatisfy { bytes[pos + $0] == w[$0] }
        }
        guard matches else { throw fail("invalid literal; expected \(word)", at: start) }
        pos += length
    }

    mutating func enterContainer() throws {
        depth += 1
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    mutating func parseObject() throws -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        pos += 1
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(object)
        }
        while true {
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                throw fail("expected a string key, found \(found)")
            }
            let keyStart = pos
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw fail("expected ':' after an object key, found \(found)")
            }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            guard object.updateValue(value, forKey: key) == nil else {
                throw fail("duplicate key \"\(key)\"", at: keyStart)
            }
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated object; expected ',' or '}'") }
            switch bytes[pos] {
            case UInt8(ascii: ","):
                pos += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                pos += 1
                return .object(object)
            default:
                throw fail("expected ',' or '}' in an object, found \(found)")
            }
        }
    }

    /// Arrays that start with numbers are collected straight into `[Double]`; the first non-number element
    /// switches to the general representation for the rest of the array.
    mutating func parseArray() throws -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        pos += 1
        skipWhitespace()
        guard pos < bytes.count else { throw fail("unterminated array") }
        if bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array([])
        }
        var elements: [JSONValue] = []
        if isNumberStart(bytes[pos]) {
            var numbers: [Double] = []
            while true {
                numbers.append(try parseNumber())
                guard try arraySeparator() else { return .numbers(numbers) }
                // At the end of the input, `parseValue` below reports it (`[5,` must not reach `parseNumber`).
                guard pos < bytes.count, isNumberStart(bytes[pos]) else { break }
            }
            elements = numbers.map(JSONValue.number)
        }
        while true {
            elements.append(try parseValue())
            guard try arraySeparator() else { return .array(elements) }
        }
    }

    /// After an element: consumes `,` (returns true, cursor on the next element) or `]` (returns false).
    @inline(__always) mutating func arraySeparator() throws -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw fail("unterminated array; expected ',' or ']'") }
        switch bytes[pos] {
        case UInt8(ascii: ","):
            pos += 1
            skipWhitespace()
            return true
        case UInt8(ascii: "]"):
            pos += 1
            return false
        default:
            throw fail("expected ',' or ']' in an array, found \(found)")
        }
    }
}
