import SolverCore

/// Typed access to the members of one JSON object, with errors that name the member by its JSON path.
///
/// `path` is the object's own path (`""` for the top level, `matrix.data`, `matrix_updates[2]`); a member `key`
/// is reported as `path.key`, an element as `path.key[k]`. `null` counts as absent for optional members.
/// Wrong JSON types are `invalid_type`; an absent required member is `missing_field`.
package struct JSONFields {
    package let members: [String: JSONValue]
    package let path: String

    /// Wraps `value`, which must be an object, found at `path`.
    package init(_ value: JSONValue, path: String) throws {
        guard case .object(let members) = value else {
            throw SolverError(.invalidType, "expected an object, got \(value.typeDescription)",
                              field: path.isEmpty ? nil : path)
        }
        self.members = members
        self.path = path
    }

    package func fieldName(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package func contains(_ key: String) -> Bool { self[key] != nil }

    /// The member, `nil` when absent or `null`.
    package subscript(key: String) -> JSONValue? {
        guard let v = members[key], v != .null else { return nil }
        return v
    }

    package func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(key) else {
            throw SolverError(.missingField, "is required", field: fieldName(key))
        }
        return value
    }

    package func typeError(_ key: String, expected: String, got value: JSONValue) -> SolverError {
        SolverError(.invalidType, "expected \(expected), got \(value.typeDescription)", field: fieldName(key))
    }

    package func string(_ key: String) throws -> String? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v else { throw typeError(key, expected: "a string", got: v) }
        return s
    }

    package func bool(_ key: String) throws -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, expected: "a boolean", got: v) }
        return b
    }

    package func double(_ key: String) throws -> Double? {
        guard let v = self[key] else { return nil }
        guard case .number(let d) = v else { throw typeError(key, expected: "a number", got: v) }
        return d
    }

    package func int(_ key: String) throws -> Int? {
        guard let d = try double(key) else { return nil }
        return try Self.integer(d, field: fieldName(key))
    }

    package func uint64(_ key: String) throws -> UInt64? {
        guard let d = try double(key) else { return nil }
        guard d == d.rounded(), d >= 0, d < 18_446_744_073_709_551_616 else {
            throw SolverError(.invalidType, "expected a non-negative integer, got \(d)", field: fieldName(key))
        }
        return UInt64(d)
    }

    package func object(_ key: String) throws -> JSONFields? {
        guard let v = self[key] else { return nil }
        return try JSONFields(v, path: fieldName(key))
    }

    /// An array of numbers; a non-number element is an error naming it (`key[k]`).
    package func doubles(_ key: String) throws -> [Double]? {
        guard let v = self[key] else { return nil }
        return try Self.doubles(v, field: fieldName(key))
    }

    /// An array of integral numbers (`3.0` is accepted, `3.5` is not); errors name the element.
    package func ints(_ key: String) throws -> [Int]? {
        guard let xs = try doubles(key) else { return nil }
        let field = fieldName(key)
        var result: [Int] = []
        result.reserveCapacity(xs.count)
        for (k, d) in xs.enumerated() {
            // The field name is built only on failure: this loop runs over millions of matrix indices.
            guard let i = Self.exactInteger(d) else { throw Self.integerError(d, field: "\(field)[\(k)]") }
            result.append(i)
        }
        return result
    }

    /// The elements of an array member, `nil` when absent.
    package func array(_ key: String) throws -> [JSONValue]? {
        guard let v = self[key] else { return nil }
        guard let elements = v.arrayElements else { throw typeError(key, expected: "an array", got: v) }
        return elements
    }

    package static func doubles(_ value: JSONValue, field: String) throws -> [Double] {
        switch value {
        case .numbers(let xs):
            return xs
        case .array(let elements):
            var result: [Double] = []
            result.reserveCapacity(elements.count)
            for (k, e) in elements.enumerated() {
                guard case .number(let d) = e else {
                    throw SolverError(.invalidType, "expected a number, got \(e.typeDescription)", field: "\(field)[\(k)]")
                }
                result.append(d)
            }
            return result
        default:
            throw SolverError(.invalidType, "expected an array of numbers, got \(value.typeDescription)", field: field)
        }
    }

    /// `d` as an `Int` when it is integral and inside `Int`'s range.
    @inline(__always) package static func exactInteger(_ d: Double) -> Int? {
        guard d == d.rounded(), d >= -9_223_372_036_854_775_808, d < 9_223_372_036_854_775_808 else { return nil }
        return Int(d)
    }

    /// A JSON number as an `Int`: integral and inside `Int`'s range.
    package static func integer(_ d: Double, field: String) throws -> Int {
        guard let i = exactInteger(d) else { throw integerError(d, field: field) }
        return i
    }

    /// Why `d` is not an `Int`: fractional (`invalid_type`) or too large (`invalid_argument`).
    package static func integerError(_ d: Double, field: String) -> SolverError {
        d == d.rounded()
            ? SolverError(.invalidArgument, "\(d) is outside the integer range", field: field)
            : SolverError(.invalidType, "expected an integer, got \(d)", field: field)
    }
}
