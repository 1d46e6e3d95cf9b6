/// Compact JSON writer appending UTF-8 to a byte buffer; used for every frame and body the server sends.
///
/// Commas are inserted automatically: `needsComma` describes the innermost open container, is cleared when one
/// opens or after a key, and set after each complete value, so callers only say what to write:
///
///     var w = JSONWriter()
///     w.object { w in
///         w.field("type", "ack")
///         w.field("seq", 42)
///         w.key("x"); w.value([1.5, 2])
///     }
///
/// Doubles use Swift's shortest round-trip form (integral values below 2⁵³ as integers); non-finite values,
/// which JSON cannot express, are written as `null`.
public struct JSONWriter {
    public private(set) var bytes: [UInt8]
    private var needsComma = false

    public init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init() { self.init(reservingCapacity: 256) }

    @inline(__always) private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = false
    }

    // MARK: Containers

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        body(&self)
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"name":`; the next value written belongs to it.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func value(_ v: Bool) {
        separate()
        bytes.append(contentsOf: (v ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func value(_ v: String) {
        separate()
        appendQuoted(v)
        needsComma = true
    }

    public mutating func value(_ v: Int) {
        separate()
        appendDecimal(v)
        needsComma = true
    }

    public mutating func value(_ v: UInt64) {
        separate()
        bytes.appendDecimalDigits(of: v)
        needsComma = true
    }

    public mutating func value(_ v: Double) {
        separate()
        appendDouble(v)
        needsComma = true
    }

    public mutating func value(_ values: [Double]) {
        array { w in
            for (k, v) in values.enumerated() {
                if k > 0 { w.bytes.append(UInt8(ascii: ",")) }
                w.appendDouble(v)
            }
        }
    }

    public mutating func value(_ values: [Int]) {
        array { w in
            for (k, v) in values.enumerated() {
                if k > 0 { w.bytes.append(UInt8(ascii: ",")) }
                w.appendDecimal(v)
            }
        }
    }

    /// Writes a parsed document back; object keys are sorted so the output is deterministic.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): value(b)
        case .number(let d): value(d)
        case .string(let s): value(s)
        case .numbers(let xs): value(xs)
        case .array(let elements): array { w in for e in elements { w.value(e) } }
        case .object(let o):
            object { w in
                for k in o.keys.sorted() {
                    w.key(k)
                    w.value(o[k]!)
                }
            }
        }
    }

    // MARK: Fields (key + value); the optional forms omit the key when the value is nil

    public mutating func field(_ name: String, _ v: String) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: Bool) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: Int) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: UInt64) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: Double) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: [Double]) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: [Int]) { key(name); value(v) }
    public mutating func field(_ name: String, _ v: [String]) {
        key(name)
        array { w in for s in v { w.value(s) } }
    }

    public mutating func field(_ name: String, _ v: String?) { if let v { field(name, v) } }
    public mutating func field(_ name: String, _ v: UInt64?) { if let v { field(name, v) } }
    public mutating func field(_ name: String, _ v: Int?) { if let v { field(name, v) } }

    public mutating func field(_ name: String, object body: (inout JSONWriter) -> Void) {
        key(name)
        object(body)
    }

    // MARK: Encoding

    private mutating func appendDecimal(_ v: Int) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.appendDecimalDigits(of: UInt64(v.magnitude))
    }

    private mutating func appendDouble(_ v: Double) {
        guard v.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        if v == v.rounded(.towardZero), abs(v) < 9_007_199_254_740_992, !(v == 0 && v.sign == .minus) {
            appendDecimal(Int(v))
        } else {
            var text = v.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Escapes `"`, `\` and control characters; everything else, including non-ASCII, is copied as UTF-8. A string
    /// that needs no escape (every member name, ids, most values) is copied in one piece.
    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        let copied = s.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            let needsEscape = utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
            guard !needsEscape else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied != true { appendEscaped(s) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ s: String) {
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hexDigits[Int(c >> 4)])
                bytes.append(Self.hexDigits[Int(c & 0xF)])
            default: bytes.append(c)
            }
        }
    }
}
