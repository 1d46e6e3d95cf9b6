/// An invalid configuration value: the dotted key (`rate_limits.ip.requests`) and why. Start-up stops on it with
/// exit code 2.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var reason: String

    public init(key: String, _ reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}
