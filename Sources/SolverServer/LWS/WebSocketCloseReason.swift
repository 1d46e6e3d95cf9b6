import SolverCore

/// Why the server closes a WebSocket. Each case fixes the RFC 6455 close code and the reason text, so callers of
/// ``WebSocketConnection/close(_:discardingQueued:)`` name a case, never a code or a string.
public enum WebSocketCloseReason: Sendable, Hashable {
    /// An error ends the connection: the close code the registry gives it (`SolverError.Code.webSocketClose`) and
    /// its wire string as the reason. A code the registry gives no close code (never meant to end a connection)
    /// closes with 1011.
    case error(SolverError.Code)
    /// A text message that is not valid UTF-8 (1007; RFC 6455 §8.1 requires failing the connection).
    case invalidUTF8
    /// A binary message where only text is accepted (1003).
    case binaryMessage
    /// A subscriber that did not read its events: its subscription ended with `slow_consumer` (1008).
    case slowConsumer

    public var code: WebSocketCloseCode {
        switch self {
        case .error(let code): code.webSocketClose ?? .internalError
        case .invalidUTF8: .invalidPayload
        case .binaryMessage: .unsupportedData
        case .slowConsumer: .policyViolation
        }
    }

    /// The close frame's reason text.
    public var text: String {
        switch self {
        case .error(let code): code.rawValue
        case .invalidUTF8: "invalid UTF-8"
        case .binaryMessage: "binary messages are not supported"
        case .slowConsumer: "slow consumer: events were not read"
        }
    }
}
