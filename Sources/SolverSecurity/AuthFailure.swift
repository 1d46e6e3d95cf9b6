/// Why a credential was refused. Messages never contain the credential.
public struct AuthFailure: Error, Sendable, Equatable {
    public enum Reason: String, Sendable {
        case missing = "missing_credentials"
        case malformed = "malformed_credentials"
        case unknownToken = "invalid_token"
        case badSignature = "bad_signature"
        case expired = "token_expired"
        case notYetValid = "token_not_yet_valid"
        case wrongIssuer = "wrong_issuer"
        case wrongAudience = "wrong_audience"
        case unsupportedAlgorithm = "unsupported_algorithm"
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}
