import Foundation

/// Reads one mapping of the YAML tree with typed accessors that know their dotted key path. Each value may be
/// overridden by the environment variable named after its path: `SOLVERD_` + the path upper-cased with `.` → `_`
/// (`rate_limits.ip.requests` ↔ `SOLVERD_RATE_LIMITS_IP_REQUESTS`). Keys never read are reported by `finish()`,
/// so a misspelt key is an error rather than silently ignored.
final class ConfigSection {
    let path: String
    private let values: [String: Any]
    private let environment: [String: String]
    private var read: Set<String> = []

    init(path: String, values: [String: Any], environment: [String: String]) {
        self.path = path
        self.values = values
        self.environment = environment
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    static func environmentName(for key: String) -> String {
        "SOLVERD_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// The raw value: the environment's text if set, else the YAML value (nil when absent or null).
    func raw(_ name: String) -> Any? {
        read.insert(name)
        if let text = environment[Self.environmentName(for: key(name))] { return text }
        let value = values[name]
        return value is NSNullLike ? nil : value
    }

    func string(_ name: String) throws -> String? {
        guard let value = raw(name) else { return nil }
        if let s = value as? String { return s }
        if value is Int || value is Double || value is Bool { return "\(value)" }
        throw ConfigError(key: key(name), "must be a string")
    }

    func bool(_ name: String, _ fallback: Bool) throws -> Bool {
        guard let value = raw(name) else { return fallback }
        if let b = value as? Bool { return b }
        switch (value as? String)?.lowercased() {
        case "true"?, "yes"?, "on"?, "1"?: return true
        case "false"?, "no"?, "off"?, "0"?: return false
        default: throw ConfigError(key: key(name), "must be true or false, got '\(value)'")
        }
    }

    func int(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let value = raw(name) else { return fallback }
        let number: Int? = (value as? Int) ?? (value as? String).flatMap { Int($0.replacingOccurrences(of: "_", with: "")) }
        guard let number, !(value is Bool) else { throw ConfigError(key: key(name), "must be an integer, got '\(value)'") }
        guard range.contains(number) else {
            throw ConfigError(key: key(name), "must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    func double(_ name: String, _ fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let value = raw(name) else { return fallback }
        let number: Double? = (value as? Double) ?? (value as? Int).map(Double.init) ?? (value as? String).flatMap(Double.init)
        guard let number, !(value is Bool), number.isFinite else {
            throw ConfigError(key: key(name), "must be a number, got '\(value)'")
        }
        guard range.contains(number) else {
            throw ConfigError(key: key(name), "must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    func choice(_ name: String, _ fallback: String, of allowed: [String]) throws -> String {
        let value = try string(name) ?? fallback
        guard allowed.contains(value) else {
            throw ConfigError(key: key(name), "must be one of \(allowed.joined(separator: ", ")), got '\(value)'")
        }
        return value
    }

    /// A list of strings; from the environment, comma-separated.
    func strings(_ name: String, _ fallback: [String]) throws -> [String] {
        guard let value = raw(name) else { return fallback }
        if let text = value as? String { return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        guard let list = value as? [Any], let strings = list.map({ $0 as? String }) as? [String] else {
            throw ConfigError(key: key(name), "must be a list of strings")
        }
        return strings
    }

    /// A nested mapping (empty when absent).
    func section(_ name: String) throws -> ConfigSection {
        let value = raw(name)
        guard value == nil || value is [String: Any] else { throw ConfigError(key: key(name), "must be a mapping") }
        return ConfigSection(path: key(name), values: value as? [String: Any] ?? [:], environment: environment)
    }

    /// A list of mappings, each read as `name[k]`.
    func sections(_ name: String) throws -> [ConfigSection] {
        read.insert(name)
        guard let value = values[name], !(value is NSNullLike) else { return [] }
        guard let list = value as? [Any] else { throw ConfigError(key: key(name), "must be a list") }
        return try list.enumerated().map { k, item in
            guard let map = item as? [String: Any] else { throw ConfigError(key: "\(key(name))[\(k)]", "must be a mapping") }
            return ConfigSection(path: "\(key(name))[\(k)]", values: map, environment: [:])
        }
    }

    /// Throws for the first key present in the file but never read (a typo or an unsupported setting).
    func finish() throws {
        if let unknown = values.keys.sorted().first(where: { !read.contains($0) }) {
            throw ConfigError(key: key(unknown), "unknown key")
        }
    }
}

/// YAML `null` as Yams hands it over (`NSNull`), without importing Foundation's class name everywhere.
typealias NSNullLike = NSNull
