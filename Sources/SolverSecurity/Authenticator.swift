import Foundation
import Synchronization

/// Turns a presented bearer token into a principal: static tokens first, then JWTs. Valid results are cached by
/// the token's SHA-256 for `cacheTTL` (never past a JWT's expiry), so repeated requests skip signature checks.
public final class Authenticator: Sendable {
    public let settings: AuthSettings
    private let tokens: StaticTokenStore
    private let jwt: JWTVerifier?
    private let clock: @Sendable () -> Double
    private let cache = Mutex<[[UInt8]: (principal: Principal, until: Double)]>([:])
    static let maxCacheEntries = 10_000

    public init(settings: AuthSettings, jwt: JWTVerifier?, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.settings = settings
        self.tokens = try StaticTokenStore(settings.tokens)
        self.jwt = jwt
        self.clock = clock
    }

    /// Builds the JWT verifier too (its keys load asynchronously).
    public static func make(_ settings: AuthSettings) async throws -> Authenticator {
        let jwt = settings.jwt.keys.isEmpty ? nil : try await JWTVerifier.make(settings.jwt)
        return try Authenticator(settings: settings, jwt: jwt)
    }

    /// Open mode: nothing configured, everyone is anonymous.
    public var isOpen: Bool { !settings.isEnabled }

    /// The principal for a presented token (nil when none was presented).
    public func authenticate(_ token: String?) throws(AuthFailure) -> Principal {
        if isOpen { return .anonymous }
        guard let token, !token.isEmpty else { throw AuthFailure(.missing, "this endpoint needs a bearer token") }
        guard token.utf8.count <= 8192, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw AuthFailure(.malformed, "the bearer token has invalid characters")
        }
        let now = clock()
        let key = StaticTokenStore.sha256(token)
        if let hit = cache.withLock({ $0[key] }), hit.until > now { return hit.principal }
        let (principal, until) = try validate(token, now: now)
        cache.withLock { c in
            if c.count >= Self.maxCacheEntries { c = c.filter { $0.value.until > now } }
            if c.count < Self.maxCacheEntries { c[key] = (principal, until) }
        }
        return principal
    }

    private func validate(_ token: String, now: Double) throws(AuthFailure) -> (Principal, Double) {
        if let principal = tokens.principal(for: token) { return (principal, now + settings.cacheTTL) }
        guard let jwt, token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw AuthFailure(.unknownToken, "the bearer token is not valid")
        }
        let verified = try jwt.verify(token, now: now)
        return (verified.principal, min(now + settings.cacheTTL, verified.expiresAt ?? .infinity))
    }

    /// The token in `Authorization: Bearer <token>`; throws `malformed` for another scheme or shape.
    public static func bearerToken(fromAuthorization header: String?) throws(AuthFailure) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw AuthFailure(.malformed, "the Authorization header must be 'Bearer <token>'")
        }
        return String(parts[1])
    }
}
