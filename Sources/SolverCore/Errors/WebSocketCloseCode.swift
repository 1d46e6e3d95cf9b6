/// RFC 6455 §7.4 close status codes: the transport's, and the ones the error registry assigns
/// (`SolverError.Code.webSocketClose`). Any other code can be built with `init(rawValue:)`.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = Self(rawValue: 1000)
    public static let goingAway = Self(rawValue: 1001)
    public static let protocolError = Self(rawValue: 1002)
    public static let unsupportedData = Self(rawValue: 1003)
    /// Reported (never sent) when the peer closed without a status code.
    public static let noStatus = Self(rawValue: 1005)
    /// Reported (never sent) when the connection dropped without a close handshake.
    public static let abnormal = Self(rawValue: 1006)
    public static let invalidPayload = Self(rawValue: 1007)
    public static let policyViolation = Self(rawValue: 1008)
    public static let messageTooBig = Self(rawValue: 1009)
    public static let internalError = Self(rawValue: 1011)
}
