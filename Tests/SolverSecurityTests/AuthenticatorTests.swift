import Crypto
import Foundation
import JWTKit
import SolverSecurity
import Testing

/// Mints tokens with jwt-kit and checks the synchronous verifier's answers.
struct AuthenticatorTests {
    static let secret = "a-shared-secret-that-is-long-enough-for-hs256"
    static let now = 1_800_000_000.0

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var roles: [String]?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func claims(sub: String = "alice", exp: Double = now + 600, nbf: Double? = nil, iss: String? = "issuer",
                       aud: String? = "solverd", roles: [String]? = nil) -> Claims {
        Claims(sub: .init(value: sub), exp: .init(value: Date(timeIntervalSince1970: exp)),
               nbf: nbf.map { .init(value: Date(timeIntervalSince1970: $0)) }, iss: iss.map { .init(value: $0) },
               aud: aud.map { .init(value: [$0]) }, roles: roles)
    }

    static func settings(_ keys: [AuthSettings.JWTKey]) -> AuthSettings {
        var settings = AuthSettings()
        settings.jwt.keys = keys
        settings.jwt.issuer = "issuer"
        settings.jwt.audience = "solverd"
        settings.jwt.clockSkew = 30
        return settings
    }

    static func hs256Token(_ claims: Claims, secret: String = secret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func authenticator(_ settings: AuthSettings, clock: @escaping @Sendable () -> Double = { now }) async throws -> Authenticator {
        try Authenticator(settings: settings, jwt: try await JWTVerifier.make(settings.jwt), clock: clock)
    }

    static func failure(_ auth: Authenticator, _ token: String?) -> AuthFailure.Reason? {
        do {
            _ = try auth.authenticate(token)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func hs256AcceptsAValidToken() async throws {
        let auth = try await Self.authenticator(Self.settings([.init(algorithm: .hs256, material: Self.secret)]))
        let principal = try auth.authenticate(try await Self.hs256Token(Self.claims(roles: ["admin"])))
        #expect(principal.name == "alice")
        #expect(principal.isAdmin)
    }

    @Test(arguments: [
        (claims(exp: now - 100), AuthFailure.Reason.expired),
        (claims(nbf: now + 100), .notYetValid),
        (claims(iss: "someone-else"), .wrongIssuer),
        (claims(aud: "other-service"), .wrongAudience),
    ])
    func hs256RefusesBadClaims(claims: Claims, reason: AuthFailure.Reason) async throws {
        let auth = try await Self.authenticator(Self.settings([.init(algorithm: .hs256, material: Self.secret)]))
        #expect(Self.failure(auth, try await Self.hs256Token(claims)) == reason)
    }

    @Test func clockSkewToleratesSlightlyExpiredTokens() async throws {
        let auth = try await Self.authenticator(Self.settings([.init(algorithm: .hs256, material: Self.secret)]))
        #expect(Self.failure(auth, try await Self.hs256Token(Self.claims(exp: Self.now - 10))) == nil)
    }

    @Test func badSignatureAndMalformedTokensAreRefused() async throws {
        let auth = try await Self.authenticator(Self.settings([.init(algorithm: .hs256, material: Self.secret)]))
        let forged = try await Self.hs256Token(Self.claims(), secret: String(repeating: "x", count: 40))
        #expect(Self.failure(auth, forged) == .badSignature)
        #expect(Self.failure(auth, "not.a.jwt") == .malformed)
        #expect(Self.failure(auth, "opaque-token") == .unknownToken)
        #expect(Self.failure(auth, nil) == .missing)
    }

    @Test func es256TokensVerifyWithThePublicKey() async throws {
        let privateKey = P256.Signing.PrivateKey()
        let signing = JWTKeyCollection()
        await signing.add(ecdsa: try ES256PrivateKey(pem: privateKey.pemRepresentation))
        let token = try await signing.sign(Self.claims(sub: "bob"))
        let publicPEM = privateKey.publicKey.pemRepresentation
        let auth = try await Self.authenticator(Self.settings([.init(algorithm: .es256, material: publicPEM)]))
        #expect(try auth.authenticate(token).name == "bob")
        // The same claims signed by another key fail.
        let other = JWTKeyCollection()
        await other.add(ecdsa: try ES256PrivateKey(pem: P256.Signing.PrivateKey().pemRepresentation))
        #expect(Self.failure(auth, try await other.sign(Self.claims(sub: "bob"))) == .badSignature)
        // An HS256 token is not accepted where only ES256 keys are configured.
        #expect(Self.failure(auth, try await Self.hs256Token(Self.claims())) == .unsupportedAlgorithm)
    }

    @Test func staticTokensAreStoredHashed() async throws {
        var settings = AuthSettings()
        settings.tokens = [.init(sha256: StaticTokenStore.sha256Hex("s3cret-token"), principal: "carol", roles: ["admin"])]
        let auth = try await Self.authenticator(settings)
        #expect(try auth.authenticate("s3cret-token") == Principal(name: "carol", roles: ["admin"]))
        #expect(Self.failure(auth, "s3cret-tokem") == .unknownToken)
        #expect(StaticTokenStore.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: AuthFailure.self) { try StaticTokenStore([.init(sha256: "xyz", principal: "p")]) }
    }

    @Test func resultsAreCachedUntilTheTTL() async throws {
        let clock = TestClock(Self.now)
        var settings = Self.settings([.init(algorithm: .hs256, material: Self.secret)])
        settings.cacheTTL = 60
        let auth = try await Self.authenticator(settings, clock: { clock.now })
        let token = try await Self.hs256Token(Self.claims(exp: Self.now + 100))
        #expect(Self.failure(auth, token) == nil)
        clock.now += 135  // past exp + skew (130 s): neither the cache nor the token holds
        #expect(Self.failure(auth, token) == .expired)
    }

    @Test func openModeIsAnonymousAdmin() async throws {
        let auth = try await Self.authenticator(AuthSettings())
        #expect(auth.isOpen)
        #expect(try auth.authenticate(nil) == .anonymous)
    }

    @Test func bearerHeaderParsing() throws {
        #expect(try Authenticator.bearerToken(fromAuthorization: "Bearer abc") == "abc")
        #expect(try Authenticator.bearerToken(fromAuthorization: nil) == nil)
        #expect(throws: AuthFailure.self) { try Authenticator.bearerToken(fromAuthorization: "Basic abc") }
    }
}

/// A settable clock for tests.
final class TestClock: @unchecked Sendable {
    var now: Double
    init(_ now: Double) { self.now = now }
}
