import SolverCore
import SolverWire

/// Reading the members only the MCP tools have (waits, output limits) with the same field-named errors as the
/// wire decoders; everything the wire messages already define is decoded by those messages.
extension JSONFields {
    /// The tool arguments as an object (an absent `arguments` is `{}`).
    static func arguments(_ value: JSONValue) throws -> JSONFields {
        try JSONFields(value, path: "")
    }

    /// An integer member in `range`, `defaultValue` when absent.
    func int(_ key: String, in range: ClosedRange<Int>, default defaultValue: Int) throws -> Int {
        guard let value = try int(key) else { return defaultValue }
        guard range.contains(value) else {
            throw SolverError(.invalidArgument, "must be in \(range.lowerBound)...\(range.upperBound), got \(value)",
                              field: fieldName(key))
        }
        return value
    }

    /// A number member (or its upstream-style `alias`) that must satisfy `valid` (`expected` says how), or
    /// `defaultValue` when absent. Errors name the key the client used.
    func double(_ key: String, alias: String? = nil, default defaultValue: Double, expected: String,
                valid: (Double) -> Bool) throws -> Double {
        let used = alias.flatMap { contains(key) ? nil : (contains($0) ? $0 : nil) } ?? key
        guard let value = try double(used) else { return defaultValue }
        guard value.isFinite, valid(value) else {
            throw SolverError(.invalidArgument, "must be \(expected), got \(value)", field: fieldName(used))
        }
        return value
    }

    /// The arguments with `keys` removed, for handing the rest to a wire decoder.
    func removing(_ keys: Set<String>) -> [String: JSONValue] {
        members.filter { !keys.contains($0.key) }
    }
}

/// `timeout_ms`: how long a tool may wait for a solve to end.
enum WaitTimeout {
    static let key = "timeout_ms"
    static let range = 0...300_000
    static let defaultMilliseconds = 10_000

    static func read(_ fields: JSONFields) throws -> Duration {
        .milliseconds(try fields.int(key, in: range, default: defaultMilliseconds))
    }
}
