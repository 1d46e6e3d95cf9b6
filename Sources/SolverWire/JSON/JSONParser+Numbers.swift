/// Number parsing: RFC 8259 grammar `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
///
/// Fast path (Clinger): up to 19 significant digits are accumulated in a `UInt64`; when the mantissa fits in 53
/// bits and the decimal exponent is within ±22, one multiplication or division by an exact power of ten gives the
/// correctly rounded result. Everything else (17-digit values, large exponents) goes through the standard
/// library's correctly rounded, locale-independent `Double(String)`. Results that are not finite are errors.
extension JSONParser {
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always) private func digit(at i: Int) -> UInt64? {
        guard i < bytes.count else { return nil }
        let d = bytes[i] &- UInt8(ascii: "0")
        return d < 10 ? UInt64(d) : nil
    }

    mutating func parseNumber() throws -> Double {
        let start = pos
        let negative = bytes[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }

        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var truncated = false

        @inline(__always) func accumulate(_ d: UInt64, fraction: Bool) {
            if mantissa == 0 && d == 0 {
                if fraction { exponent -= 1 }
            } else if significantDigits < 19 {
                mantissa = mantissa &* 10 &+ d
                significantDigits += 1
                if fraction { exponent -= 1 }
            } else {
                truncated = truncated || d != 0
                if !fraction { exponent += 1 }
            }
        }

        guard let first = digit(at: pos) else { throw fail("expected a digit in a number, found \(found)") }
        pos += 1
        if first == 0 {
            if digit(at: pos) != nil { throw fail("leading zeros are not allowed in a number", at: start) }
        } else {
            accumulate(first, fraction: false)
            while let d = digit(at: pos) {
                accumulate(d, fraction: false)
                pos += 1
            }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard digit(at: pos) != nil else { throw fail("expected a digit after the decimal point, found \(found)") }
            while let d = digit(at: pos) {
                accumulate(d, fraction: true)
                pos += 1
            }
        }
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            var exponentNegative = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") {
                exponentNegative = bytes[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard digit(at: pos) != nil else { throw fail("expected a digit in the exponent, found \(found)") }
            var e = 0
            while let d = digit(at: pos) {
                if e < 1_000_000 { e = e * 10 + Int(d) }
                pos += 1
            }
            exponent += exponentNegative ? -e : e
        }

        var value: Double
        if mantissa == 0 {
            value = 0
        } else if !truncated, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            value = Double(mantissa)
            if exponent >= 0 {
                value *= Self.exactPowersOfTen[exponent]
            } else {
                value /= Self.exactPowersOfTen[-exponent]
            }
        } else {
            let text = String(decoding: bytes[(negative ? start + 1 : start)..<pos], as: UTF8.self)
            value = Double(text) ?? .infinity
        }
        guard value.isFinite else { throw fail("number does not fit in a finite double", at: start) }
        return negative ? -value : value
    }
}
