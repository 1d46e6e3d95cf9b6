/// One argument of a Redis command: text, a number, or raw bytes (snapshots, encoded updates).
public struct RedisArgument: Sendable, ExpressibleByStringLiteral {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init<T: BinaryInteger>(_ value: T) { self.bytes = Array(String(value).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
}
