import Foundation
import SolverSecurity

extension AuthSettings {
    /// Reads `auth:`. `SOLVERD_AUTH_TOKENS` (`principal:sha256[:role+role];…`) replaces the token list;
    /// `SOLVERD_AUTH_JWT_HS256_SECRET` and the other scalar keys follow the usual naming rule.
    static func read(_ a: ConfigSection, environment: [String: String]) throws -> AuthSettings {
        var auth = AuthSettings()
        auth.cacheTTL = try a.double("cache_ttl_seconds", auth.cacheTTL, in: 0...86_400)
        auth.tokens = try a.sections("tokens").enumerated().map { _, t in
            let token = StaticToken(sha256: try t.string("sha256") ?? "", principal: try t.string("principal") ?? "",
                                    roles: try t.strings("roles", []))
            try token.check(t)
            try t.finish()
            return token
        }
        if let text = environment["SOLVERD_AUTH_TOKENS"] {
            auth.tokens = try tokens(fromEnvironment: text)
        }
        auth.jwt = try readJWT(try a.section("jwt"))
        try a.finish()
        return auth
    }

    static func tokens(fromEnvironment text: String) throws -> [StaticToken] {
        try text.split(separator: ";").enumerated().map { k, entry in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3 else {
                throw ConfigError(key: "SOLVERD_AUTH_TOKENS[\(k)]", "must be principal:sha256[:role+role]")
            }
            let token = StaticToken(sha256: parts[1], principal: parts[0],
                                    roles: parts.count == 3 ? parts[2].split(separator: "+").map(String.init) : [])
            let scratch = ConfigSection(path: "SOLVERD_AUTH_TOKENS[\(k)]", values: [:], environment: [:])
            try token.check(scratch)
            return token
        }
    }

    private static func readJWT(_ j: ConfigSection) throws -> JWT {
        var jwt = JWT()
        if let secret = try j.string("hs256_secret") ?? j.string("hs256_secret_file").map({ try readFile($0, key: j.key("hs256_secret_file")) }) {
            guard secret.utf8.count >= 32 else { throw ConfigError(key: j.key("hs256_secret"), "must be at least 32 bytes") }
            jwt.keys.append(JWTKey(algorithm: .hs256, material: secret))
        }
        for key in try j.sections("public_keys") {
            let name = try key.choice("algorithm", "ES256", of: ["RS256", "ES256"])
            let pem = try key.string("pem") ?? key.string("pem_file").map { try readFile($0, key: key.key("pem_file")) }
            guard let pem, pem.contains("-----BEGIN PUBLIC KEY-----") else {
                throw ConfigError(key: key.key("pem"), "needs a PEM public key ('pem' or 'pem_file')")
            }
            try key.finish()
            jwt.keys.append(JWTKey(algorithm: JWTKey.Algorithm(rawValue: name)!, material: pem))
        }
        jwt.issuer = try j.string("issuer")
        jwt.audience = try j.string("audience")
        jwt.clockSkew = try j.double("clock_skew_seconds", jwt.clockSkew, in: 0...3600)
        jwt.principalClaim = try j.string("principal_claim") ?? jwt.principalClaim
        jwt.rolesClaim = try j.string("roles_claim") ?? jwt.rolesClaim
        try j.finish()
        return jwt
    }

    private static func readFile(_ path: String, key: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError(key: key, "cannot read \(path)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension AuthSettings.StaticToken {
    func check(_ section: ConfigSection) throws {
        guard !principal.isEmpty else { throw ConfigError(key: section.key("principal"), "must name the principal") }
        let hex = sha256.lowercased()
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
            throw ConfigError(key: section.key("sha256"), "must be the 64 hex digits of the token's SHA-256 (never the token itself)")
        }
    }
}
