import Foundation
import Testing
import SolverCore
@testable import SolverWire

@Suite struct JSONReaderTests {
    func parse(_ text: String) throws -> JSONValue { try JSONReader.parse(text) }

    func expectInvalid(_ bytes: [UInt8]) {
        do {
            let v = try JSONReader.parse(bytes)
            Issue.record("accepted \(bytes) as \(v)")
        } catch let e as SolverError {
            #expect(e.code == .invalidJSON)
            #expect(e.field == nil)
            #expect(e.message.contains("byte"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [
        ("null", JSONValue.null), ("true", .bool(true)), ("false", .bool(false)), (" 12 ", .number(12)),
        ("-0", .number(-0.0)), ("1e308", .number(1e308)), ("-1.5E-3", .number(-0.0015)), ("1e-400", .number(0)),
        ("0.1", .number(0.1)), ("123456789012345678901234", .number(123456789012345678901234.0)),
        ("0.30000000000000004", .number(0.30000000000000004)), ("2.2250738585072014e-308", .number(2.2250738585072014e-308)),
        ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", .string("a\"b\\c/d\u{8}\u{c}\n\r\t")),
        ("\"\\u00e9\\uD83D\\uDE00\"", .string("é😀")), ("\"é😀\"", .string("é😀")),
        ("[]", .array([])), ("{}", .object([:])), ("[1,2,3]", .numbers([1, 2, 3])),
        ("[1,\"x\",null]", .array([.number(1), .string("x"), .null])),
        ("{\"a\":[{\"b\":false}],\"c\":{}}", .object(["a": .array([.object(["b": .bool(false)])]), "c": .object([:])])),
    ])
    func accepts(_ text: String, _ expected: JSONValue) throws {
        let v = try parse(text)
        #expect(v == expected)
        if case .number(let d) = expected, d == 0, case .number(let got) = v {
            #expect(got.sign == d.sign)
        }
    }

    @Test func numericArraysAreCompact() throws {
        let v = try parse("[1, 2.5, -3e2 ,\n4]")
        guard case .numbers(let xs) = v else { Issue.record("not compact: \(v)"); return }
        #expect(xs == [1, 2.5, -300, 4])
        // A non-number after numbers switches to the general form, keeping order.
        #expect(try parse("[1,2,[3]]") == .array([.number(1), .number(2), .numbers([3])]))
    }

    @Test func bigNumericArray() throws {
        let values = (0..<100_000).map { Double($0) * 0.001 - 7.25 }
        var w = JSONWriter()
        w.value(values)
        guard case .numbers(let back) = try JSONReader.parse(w.bytes) else { Issue.record("not compact"); return }
        #expect(back == values)
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "-", "1.", ".5",
        "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "1e400", "-1e400", "[1]x", "{} {}", "\"abc", "\"\\x\"",
        "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"a\u{1}b\"", "{\"a\":1,\"a\":2}", "'a'",
        "[1,2", "{\"a\":", "\u{FEFF}1",
    ])
    func rejects(_ text: String) {
        expectInvalid(Array(text.utf8))
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x80],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        expectInvalid(bytes)
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parse(ok)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        expectInvalid(Array(deep.utf8))
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        expectInvalid(Array(hostile.utf8))
        #expect(throws: SolverError.self) { try JSONReader.parse("[[1]]", maxDepth: 1) }
    }

    @Test func errorsGiveTheByteOffset() {
        #expect {
            try parse("{\"a\": 1, \"a\": 2}")
        } throws: { ($0 as? SolverError)?.message.contains("byte 9") == true }
        #expect {
            try parse("[1, 2, x]")
        } throws: { ($0 as? SolverError)?.message.contains("byte 7") == true }
    }

    /// Random doubles written by the writer read back bit for bit, through both number paths.
    @Test func roundTripsDoubles() throws {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 1 / 3, .leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789, 9_007_199_254_740_991]
        for _ in 0..<2000 {
            values.append(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1))
            values.append(Double.random(in: -1000...1000))
        }
        var w = JSONWriter()
        w.value(values)
        guard case .numbers(let back) = try JSONReader.parse(w.bytes) else { Issue.record("not compact"); return }
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
    }
}

/// Inputs the fuzzer (fuzz/Targets/client-message.swift) found trapping, minimized; kept as regressions.
@Suite struct JSONReaderFuzzRegressionTests {
    /// A numeric array cut after a comma used to index past the end in `parseNumber` (Index out of range).
    @Test(arguments: ["[5,", "[5, ", "[1,2,", "{\"a\":[0,", "[-1,"])
    func truncatedNumericArray(_ text: String) {
        JSONReaderTests().expectInvalid(Array(text.utf8))
    }
}
