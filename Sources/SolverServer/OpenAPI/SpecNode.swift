import Foundation

/// A JSON document whose objects keep their members in the order written, so the OpenAPI description reads as an
/// author would lay it out (`openapi`, `info`, `paths`, … ; `type` before `properties`) and is stable byte for
/// byte, which lets a test compare the committed `docs/openapi.json` with what the server serves.
indirect enum SpecNode: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case string(String)
    case int(Int)
    case number(Double)
    case bool(Bool)
    case array([SpecNode])
    case object([(String, SpecNode)])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: SpecNode...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, SpecNode)...) { self = .object(elements) }

    static func == (lhs: SpecNode, rhs: SpecNode) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The member `key` of an object.
    subscript(key: String) -> SpecNode? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// This object with `members` appended (an object's members are never replaced, only added).
    func adding(_ members: [(String, SpecNode)]) -> SpecNode {
        guard case .object(let existing) = self else { return self }
        return .object(existing + members)
    }

    /// Pretty-printed JSON, two-space indents, one member per line, a final newline.
    var prettyJSON: String {
        var out = ""
        write(into: &out, indent: "")
        return out + "\n"
    }

    private func write(into out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .string(let s): out += Self.quoted(s)
        case .int(let i): out += String(i)
        case .number(let d): out += d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            // Short arrays of scalars (enums, `required`) stay on one line.
            if items.allSatisfy(\.isScalar), items.count <= 12 {
                out += "[" + items.map { node in var s = ""; node.write(into: &s, indent: ""); return s }.joined(separator: ", ") + "]"
                return
            }
            out += "[\n"
            for (k, item) in items.enumerated() {
                out += inner
                item.write(into: &out, indent: inner)
                out += k == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (k, (key, value)) in members.enumerated() {
                out += inner + Self.quoted(key) + ": "
                value.write(into: &out, indent: inner)
                out += k == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
