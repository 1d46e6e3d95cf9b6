import Foundation
import JWTKit

/// Verifies JWTs synchronously (the WebSocket upgrade decision cannot wait): signatures through jwt-kit's
/// algorithms (HS256, RS256, ES256), then `exp`, `nbf` (with `clockSkew`), `iss` and `aud`.
public struct JWTVerifier: Sendable {
    struct Key: Sendable {
        let name: String
        let algorithm: any JWTAlgorithm
    }
    private let keys: [Key]
    public let settings: AuthSettings.JWT

    /// What a valid token says.
    public struct Verified: Sendable, Equatable {
        public var principal: Principal
        public var expiresAt: Double?
    }

    init(keys: [Key], settings: AuthSettings.JWT) {
        self.keys = keys
        self.settings = settings
    }

    /// Loads every key; throws naming `jwt.keys[k]` when one does not parse.
    public static func make(_ settings: AuthSettings.JWT) async throws -> JWTVerifier {
        var keys: [Key] = []
        for (k, key) in settings.keys.enumerated() {
            let collection = JWTKeyCollection()
            do {
                switch key.algorithm {
                case .hs256: await collection.add(hmac: HMACKey(from: key.material), digestAlgorithm: .sha256)
                case .es256: await collection.add(ecdsa: try ES256PublicKey(pem: key.material))
                case .rs256: await collection.add(rsa: try Insecure.RSA.PublicKey(pem: key.material), digestAlgorithm: .sha256)
                }
                keys.append(Key(name: key.algorithm.rawValue, algorithm: try await collection.getKey()))
            } catch {
                throw AuthFailure(.malformed, "jwt.keys[\(k)]: not a valid \(key.algorithm.rawValue) key")
            }
        }
        return JWTVerifier(keys: keys, settings: settings)
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// Verifies `token` at time `now` (seconds since 1970).
    public func verify(_ token: String, now: Double) throws(AuthFailure) -> Verified {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.object(parts[0]), let claims = Self.object(parts[1]),
              let signature = Base64URL.decode(parts[2]) else {
            throw AuthFailure(.malformed, "the bearer token is not a well-formed JWT")
        }
        guard let alg = header["alg"] as? String, alg != "none" else {
            throw AuthFailure(.unsupportedAlgorithm, "the JWT names no usable algorithm")
        }
        let candidates = keys.filter { $0.name == alg }
        guard !candidates.isEmpty else {
            throw AuthFailure(.unsupportedAlgorithm, "JWTs signed with \(alg) are not accepted here")
        }
        let signed = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        guard candidates.contains(where: { (try? $0.algorithm.verify(signature, signs: signed)) == true }) else {
            throw AuthFailure(.badSignature, "the JWT signature does not verify")
        }
        return try checkClaims(claims, now: now)
    }

    private func checkClaims(_ claims: [String: Any], now: Double) throws(AuthFailure) -> Verified {
        let skew = settings.clockSkew
        let exp = (claims["exp"] as? NSNumber)?.doubleValue
        if let exp, now > exp + skew { throw AuthFailure(.expired, "the JWT expired") }
        if let nbf = (claims["nbf"] as? NSNumber)?.doubleValue, now + skew < nbf {
            throw AuthFailure(.notYetValid, "the JWT is not valid yet (nbf)")
        }
        if let issuer = settings.issuer, claims["iss"] as? String != issuer {
            throw AuthFailure(.wrongIssuer, "the JWT issuer is not accepted")
        }
        if let audience = settings.audience {
            let aud = (claims["aud"] as? [String]) ?? (claims["aud"] as? String).map { [$0] } ?? []
            guard aud.contains(audience) else { throw AuthFailure(.wrongAudience, "the JWT is not meant for this service (aud)") }
        }
        guard let name = claims[settings.principalClaim] as? String, !name.isEmpty else {
            throw AuthFailure(.malformed, "the JWT has no '\(settings.principalClaim)' claim")
        }
        var roles = Set((claims[settings.rolesClaim] as? [String])
            ?? (claims[settings.rolesClaim] as? String)?.split(separator: " ").map(String.init) ?? [])
        if claims["admin"] as? Bool == true { roles.insert(Principal.adminRole) }
        return Verified(principal: Principal(name: name, roles: roles), expiresAt: exp.map { $0 + skew })
    }

    private static func object(_ part: Substring) -> [String: Any]? {
        guard let bytes = Base64URL.decode(part) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    static func decode(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
