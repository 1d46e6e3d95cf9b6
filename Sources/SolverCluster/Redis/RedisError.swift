/// Why a Redis call failed. Equality is on the code; the message is for logs and clients.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let rawValue: String
        /// Could not connect, or the connection broke (Redis down or restarting). Retrying later may succeed.
        public static let unavailable = Code(rawValue: "unavailable")
        /// No reply within the command timeout.
        public static let timeout = Code(rawValue: "timeout")
        /// Redis answered with an error reply.
        public static let reply = Code(rawValue: "reply")
        /// A server (or Sentinel) refused the credentials, or needs some (`NOAUTH`).
        public static let authentication = Code(rawValue: "auth")
        /// A reply of an unexpected shape.
        public static let protocolError = Code(rawValue: "protocol")
    }

    public let code: Code
    public let message: String

    public static func unavailable(_ message: String) -> RedisError { RedisError(code: .unavailable, message: message) }
    public static func timeout(_ message: String) -> RedisError { RedisError(code: .timeout, message: message) }
    public static func reply(_ message: String) -> RedisError { RedisError(code: .reply, message: message) }
    public static func authentication(_ message: String) -> RedisError { RedisError(code: .authentication, message: message) }
    public static func protocolError(_ message: String) -> RedisError { RedisError(code: .protocolError, message: message) }

    /// Connection-level failures (as opposed to a command Redis refused).
    public var isConnectionFailure: Bool { code == .unavailable || code == .timeout }

    public var description: String { "redis \(code.rawValue): \(message)" }

    public static func == (a: RedisError, b: RedisError) -> Bool { a.code == b.code }
}
