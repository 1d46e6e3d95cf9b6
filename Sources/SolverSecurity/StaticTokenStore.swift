import Crypto

/// Static bearer tokens, kept only as SHA-256 digests. A presented token is hashed and compared with every stored
/// digest in constant time (no early exit on the first differing byte, and every entry is compared).
public struct StaticTokenStore: Sendable {
    struct Entry: Sendable {
        let digest: [UInt8]
        let principal: Principal
    }
    private let entries: [Entry]

    /// Throws a message naming the entry when a digest is not 64 hex digits.
    public init(_ tokens: [AuthSettings.StaticToken]) throws {
        entries = try tokens.enumerated().map { k, token in
            guard let digest = Self.hexBytes(token.sha256), digest.count == 32 else {
                throw AuthFailure(.malformed, "tokens[\(k)].sha256 must be 64 hex digits (the SHA-256 of the token)")
            }
            return Entry(digest: digest, principal: Principal(name: token.principal, roles: Set(token.roles)))
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The principal of `token`, or nil.
    public func principal(for token: String) -> Principal? {
        let digest = Self.sha256(token)
        var found: Principal?
        for entry in entries where Self.constantTimeEqual(entry.digest, digest) && found == nil {
            found = entry.principal
        }
        return found
    }

    public static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// Lowercase hex SHA-256 of `text` (what the config stores).
    public static func sha256Hex(_ text: String) -> String {
        sha256(text).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.lowercased().utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
