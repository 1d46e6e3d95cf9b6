/// A parsed JSON document.
///
/// Arrays whose elements are all numbers are stored as `.numbers([Double])`: a matrix body of millions of values
/// then costs one contiguous `[Double]` instead of millions of enum boxes, and decoders hand it to SolverCore
/// without a conversion pass. An empty array is `.array([])`. Equality treats `.numbers(xs)` and the
/// `.array` of the same `.number`s as equal, so the compact form is an optimisation, never a semantic difference.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// An array whose elements are all numbers (compact: big matrices).
    case numbers([Double])
    case array([JSONValue])
    case object([String: JSONValue])

    /// The elements of an array in either representation; `nil` when this is not an array.
    public var arrayElements: [JSONValue]? {
        switch self {
        case .array(let a): return a
        case .numbers(let xs): return xs.map(JSONValue.number)
        default: return nil
        }
    }

    /// The name of the JSON type, for error messages ("expected a number, got a string").
    public var typeDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .numbers, .array: return "an array"
        case .object: return "an object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.numbers(a), .numbers(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.numbers(a), .array(b)), let (.array(b), .numbers(a)):
            return a.count == b.count && zip(a, b).allSatisfy { JSONValue.number($0) == $1 }
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }
}
