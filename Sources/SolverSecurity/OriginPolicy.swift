/// Which browsers may use the server, checked on every HTTP request and WebSocket upgrade before credentials.
///
/// Two attacks are closed. *Cross-site use*: a page on another origin calling the API with the user's network
/// position (on a loopback bind without auth every caller is an admin). Its requests carry `Origin`, which must be
/// the server's own origin or one configured. *DNS rebinding*: a page whose host name the attacker re-points at
/// 127.0.0.1, so its requests are same-origin to the browser; they carry the attacker's name in `Host`, which a
/// loopback bind refuses. Clients that send no `Origin` (curl, websocat, Python) are not browsers and pass.
public struct OriginPolicy: Sendable, Equatable {
    /// Origins allowed besides the server's own (`server.cors_origins`): `scheme://host[:port]`, `scheme://host:*`
    /// for any port, `null` (sandboxed pages, `file:`), or `*` for any origin at all.
    public var allowedOrigins: [String]
    /// `Host` names served besides loopback ones (`server.allowed_hosts`): exact names, or `.example.com` for the
    /// domain and its subdomains. Empty: loopback names only on a loopback bind, any name elsewhere.
    public var allowedHosts: [String]
    /// The server listens on a loopback address only.
    public var loopbackBind: Bool

    public init(allowedOrigins: [String] = [], allowedHosts: [String] = [], loopbackBind: Bool = true) {
        self.allowedOrigins = allowedOrigins
        self.allowedHosts = allowedHosts
        self.loopbackBind = loopbackBind
    }

    /// The outcome for a request that may proceed.
    public enum Verdict: Sendable, Equatable {
        /// No `Origin`: not a browser's cross-origin call.
        case noOrigin
        /// `Origin` is the server's own (the dashboard).
        case sameOrigin
        /// A configured foreign origin: answer with CORS headers allowing `allowOrigin` (`*` or the origin).
        case allowedCrossOrigin(allowOrigin: String)
    }

    /// Why a request was refused; the server maps these to its error codes.
    public enum Refusal: Error, Sendable, Equatable {
        case host(String)
        case origin(String)
    }

    public func check(host: String?, origin: String?) -> Result<Verdict, Refusal> {
        if let host, !isServed(host: host) { return .failure(.host(host)) }
        guard let origin else { return .success(.noOrigin) }
        if let host, Self.isSameOrigin(origin, host: host) { return .success(.sameOrigin) }
        if allowedOrigins.contains("*") { return .success(.allowedCrossOrigin(allowOrigin: "*")) }
        if allowedOrigins.contains(where: { Self.matches(origin, pattern: $0) }) {
            return .success(.allowedCrossOrigin(allowOrigin: origin))
        }
        return .failure(.origin(origin))
    }

    /// Whether a `Host` header names this server under the policy.
    func isServed(host: String) -> Bool {
        guard let name = Loopback.hostPart(ofAuthority: host) else { return false }
        if Loopback.isLoopback(name) { return true }
        if allowedHosts.isEmpty { return !loopbackBind }
        let lower = name.lowercased()
        return allowedHosts.contains { entry in
            let entry = entry.lowercased()
            return entry.hasPrefix(".") ? (lower.hasSuffix(entry) || "." + lower == entry) : lower == entry
        }
    }

    /// The page was served by this server: the origin's authority is the request's `Host`, or both are loopback
    /// names on the same port (`localhost:3000` and `127.0.0.1:3000` are one server).
    static func isSameOrigin(_ origin: String, host: String) -> Bool {
        guard let parsed = ParsedOrigin(origin), let hostName = Loopback.hostPart(ofAuthority: host) else { return false }
        let hostPort = host.dropFirst(hostName.count).dropFirst()
        let port = hostPort.isEmpty ? nil : String(hostPort)
        if parsed.host == hostName.lowercased() && parsed.port == (port ?? parsed.defaultPort) { return true }
        return Loopback.isLoopback(parsed.host) && Loopback.isLoopback(hostName) && port != nil && parsed.port == port
    }

    static func matches(_ origin: String, pattern: String) -> Bool {
        if pattern == "null" { return origin == "null" }
        guard let parsed = ParsedOrigin(origin), let wanted = ParsedOrigin(pattern) else { return false }
        return parsed.scheme == wanted.scheme && parsed.host == wanted.host && (wanted.port == "*" || parsed.port == wanted.port)
    }

    /// Whether a configured origin entry is well-formed; nil when it is, else what is wrong.
    public static func problem(withOrigin entry: String) -> String? {
        if entry == "*" || entry == "null" { return nil }
        guard ParsedOrigin(entry) != nil else {
            return "'\(entry)' is not an origin: write scheme://host[:port] (port * for any), null or *, without a path"
        }
        return nil
    }

    /// Whether a configured host entry is well-formed; nil when it is, else what is wrong.
    public static func problem(withHost entry: String) -> String? {
        let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
        let valid = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        return valid ? nil : "'\(entry)' is not a host name: write name.example or .example for a domain, without scheme or port"
    }
}

/// `scheme://host[:port]` with a lower-cased host; `port` is explicit or the scheme's default.
private struct ParsedOrigin {
    let scheme: String
    let host: String
    let port: String

    init?(_ text: String) {
        let lower = text.lowercased()
        guard let separator = lower.range(of: "://") else { return nil }
        scheme = String(lower[..<separator.lowerBound])
        guard ["http", "https"].contains(scheme) else { return nil }
        var authority = String(lower[separator.upperBound...])
        var anyPort = false
        if authority.hasSuffix(":*") { authority.removeLast(2); anyPort = true }
        guard !authority.contains("/"), let name = Loopback.hostPart(ofAuthority: authority) else { return nil }
        host = name
        let explicit = authority.dropFirst(name.count).dropFirst()
        port = anyPort ? "*" : (explicit.isEmpty ? (scheme == "https" ? "443" : "80") : String(explicit))
    }

    var defaultPort: String { scheme == "https" ? "443" : "80" }
}
