import Foundation
import MCP
import SolverCore
import SolverWire

/// Conversions between the MCP SDK's `Value` (tool arguments and results) and SolverWire's `JSONValue`/bytes, so
/// tool arguments go through the same decoders and validation as HTTP bodies and WebSocket messages.
extension JSONValue {
    /// An MCP argument value as JSON. Arrays of numbers become the compact `.numbers` form the matrix decoders
    /// expect; the SDK's `data:` URL strings are turned back into the strings the client sent.
    init(mcp value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .data:
            let text = (try? JSONEncoder().encode(value)).flatMap { try? JSONDecoder().decode(String.self, from: $0) }
            self = .string(text ?? "")
        case .array(let elements):
            var numbers: [Double] = []
            numbers.reserveCapacity(elements.count)
            for element in elements {
                switch element {
                case .int(let i): numbers.append(Double(i))
                case .double(let d): numbers.append(d)
                default:
                    self = .array(elements.map(JSONValue.init(mcp:)))
                    return
                }
            }
            self = elements.isEmpty ? .array([]) : .numbers(numbers)
        case .object(let members): self = .object(members.mapValues(JSONValue.init(mcp:)))
        }
    }

    /// The `arguments` of a `tools/call` as one JSON object (absent arguments are an empty object).
    init(arguments: [String: Value]?) {
        self = .object((arguments ?? [:]).mapValues(JSONValue.init(mcp:)))
    }
}

extension Value {
    /// One encoded JSON document (what `WireEncoder` and the tools produce) as an MCP value.
    init(jsonBytes: [UInt8]) throws {
        self = try JSONDecoder().decode(Value.self, from: Data(jsonBytes))
    }
}
