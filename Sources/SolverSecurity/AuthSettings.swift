/// How clients authenticate: static bearer tokens (stored as SHA-256 hashes) and/or JWTs. Neither configured means
/// open mode: every client is ``Principal/anonymous``.
public struct AuthSettings: Sendable, Equatable {
    /// One static token: the lowercase hex SHA-256 of the token, never the token itself.
    public struct StaticToken: Sendable, Equatable {
        public var sha256: String
        public var principal: String
        public var roles: [String]

        public init(sha256: String, principal: String, roles: [String] = []) {
            self.sha256 = sha256
            self.principal = principal
            self.roles = roles
        }
    }

    /// A JWT verification key: the algorithm and its PEM public key (RS256, ES256) or shared secret (HS256).
    public struct JWTKey: Sendable, Equatable {
        public enum Algorithm: String, Sendable, CaseIterable { case hs256 = "HS256", rs256 = "RS256", es256 = "ES256" }
        public var algorithm: Algorithm
        /// PEM text for RS256/ES256; the secret for HS256.
        public var material: String

        public init(algorithm: Algorithm, material: String) {
            self.algorithm = algorithm
            self.material = material
        }
    }

    public struct JWT: Sendable, Equatable {
        public var keys: [JWTKey] = []
        /// Required `iss`, when set.
        public var issuer: String?
        /// Required among `aud`, when set.
        public var audience: String?
        /// Seconds of tolerance on `exp` and `nbf`.
        public var clockSkew: Double = 30
        /// Claim naming the principal.
        public var principalClaim = "sub"
        /// Claim holding a role list (array of strings or a space-separated string).
        public var rolesClaim = "roles"

        public init() {}
    }

    public var tokens: [StaticToken] = []
    public var jwt = JWT()
    /// How long a validated credential is remembered (5 minutes by default); never past a JWT's `exp`.
    public var cacheTTL: Double = 300

    public init() {}

    /// Whether any credential is configured; false means open mode.
    public var isEnabled: Bool { !tokens.isEmpty || !jwt.keys.isEmpty }
}
