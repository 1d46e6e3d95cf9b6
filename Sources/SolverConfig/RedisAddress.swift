import Foundation

/// Where cluster mode finds Redis, parsed from `cluster.redis_url` / `--cluster`:
/// - `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` — one Redis server (port 6379 by default); `redis://:PASSWORD@…`
///   authenticates with a password only (`requirepass`), `USER:PASSWORD` as an ACL user.
/// - `redis+sentinel://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER[/DB]` — the Sentinels to ask, in turn, for
///   the address of the master named MASTER (port 26379 by default). The credentials are the master's; Sentinels
///   that need their own come from `cluster.sentinel_username` / `cluster.sentinel_password`.
///
/// USER and PASSWORD are percent-decoded (write `@`, `:`, `/`, `%` as `%40`, `%3A`, `%2F`, `%25`). No TLS: hiredis
/// 0.14 has none — run a TLS sidecar (stunnel) and point solverd at its local port (README "Cluster mode").
///
/// This is the only parser of the text: it lives with the configuration so `solverd config check` names the key and
/// the reason without linking the cluster backend, and `solverd serve` builds SolverCluster's `RedisEndpoint` from
/// these parts. Neither `description` nor any error message carries the password.
public struct RedisAddress: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// One `HOST[:PORT]` of the URL, as parsed (`description` is `host:port`).
    public struct Server: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: Int
        public var description: String { "\(host):\(port)" }
    }

    /// The Redis server (`redis://`, one), or the Sentinels in the order they are asked (`redis+sentinel://`).
    public var servers: [Server]
    /// The master's name in Sentinel; nil for `redis://`.
    public var masterName: String?
    public var database: Int
    /// AUTH for the data connections: nil user = `AUTH PASSWORD` (the default user).
    public var username: String?
    public var password: String?
    /// AUTH for the Sentinels themselves (`cluster.sentinel_username` / `cluster.sentinel_password`).
    public var sentinelUsername: String?
    public var sentinelPassword: String?

    public static let defaultPort = 6379
    public static let defaultSentinelPort = 26379

    public init(host: String, port: Int = defaultPort, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.servers = [Server(host: host, port: port)]
        self.database = database
        self.username = username
        self.password = password
    }

    public var isSentinel: Bool { masterName != nil }

    /// Parses the URL or throws a ``ConfigError`` for `key` saying what is wrong with it.
    public init(url: String, key: String) throws(ConfigError) {
        func bad(_ why: String) -> ConfigError {
            ConfigError(key: key, "\(why); expected redis://[USER:PASSWORD@]HOST[:PORT][/DB] or "
                + "redis+sentinel://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB], got '\(Self.redacting(url))'")
        }
        if url.hasPrefix("rediss://") {
            throw bad("TLS (rediss://) is not supported: hiredis 0.14 has no TLS; run a TLS sidecar such as stunnel and use redis://127.0.0.1:PORT")
        }
        let sentinel = url.hasPrefix("redis+sentinel://")
        guard sentinel || url.hasPrefix("redis://") else { throw bad("must start with redis:// or redis+sentinel://") }
        var rest = Substring(url.drop { $0 != ":" }.dropFirst("://".count))
        guard !rest.contains("?"), !rest.contains("#") else { throw bad("query parameters and fragments are not supported") }

        // Credentials: everything up to the last '@' (a password may hold an unencoded '/'; host names never '@').
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userinfo.firstIndex(of: ":") else {
                throw bad("credentials must be USER:PASSWORD or :PASSWORD")
            }
            let user = userinfo[..<colon], pass = userinfo[userinfo.index(after: colon)...]
            guard let decodedUser = String(user).removingPercentEncoding,
                  let decodedPass = String(pass).removingPercentEncoding else {
                throw bad("the user or password has an invalid percent-escape (write '%' as %25)")
            }
            guard !decodedPass.isEmpty else { throw bad("the password is empty") }
            self.username = decodedUser.isEmpty ? nil : decodedUser
            self.password = decodedPass
        }

        let path = rest.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let authority = rest.prefix { $0 != "/" }
        var dbText: Substring?
        if sentinel {
            guard let name = path.first, !name.isEmpty else { throw bad("needs the master's name after the Sentinel addresses") }
            guard name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "@" }) else {
                throw bad("the master name must be printable ASCII without spaces")
            }
            masterName = String(name)
            guard path.count <= 2 else { throw bad("too many path segments") }
            dbText = path.dropFirst().first
        } else {
            guard path.count <= 1 else { throw bad("too many path segments") }
            dbText = path.first
        }
        database = 0
        if let dbText, !dbText.isEmpty {
            guard let n = Int(dbText), n >= 0 else { throw bad("the database must be a number >= 0") }
            database = n
        }

        let defaultPort = sentinel ? Self.defaultSentinelPort : Self.defaultPort
        servers = []
        for item in authority.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let host = parts.first, !host.isEmpty else { throw bad("needs a host name or IPv4 address") }
            var port = defaultPort
            if parts.count == 2 {
                guard let p = Int(parts[1]), (1...65535).contains(p) else { throw bad("the port must be in 1...65535") }
                port = p
            }
            // hiredis may resolve `localhost` to ::1 first while redis-server listens on 127.0.0.1 only.
            servers.append(Server(host: host == "localhost" ? "127.0.0.1" : String(host), port: port))
        }
        guard sentinel || servers.count == 1 else { throw bad("several hosts need redis+sentinel://") }
    }

    /// The URL with the password replaced by `***` (user names and hosts are kept).
    public var description: String {
        let scheme = isSentinel ? "redis+sentinel" : "redis"
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        let name = masterName.map { "/\($0)" } ?? ""
        let db = database == 0 ? "" : "/\(database)"
        return "\(scheme)://\(credentials)\(servers.map(\.description).joined(separator: ","))\(name)\(db)"
    }

    public var debugDescription: String { description }

    /// `url` as typed, with whatever stands between `://` and the last `@` other than the user name replaced by
    /// `***`: for messages about text that may not parse.
    public static func redacting(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.lastIndex(of: "@"), at > scheme.upperBound else { return url }
        let userinfo = url[scheme.upperBound..<at]
        let user = userinfo.firstIndex(of: ":").map { String(userinfo[..<$0]) + ":" } ?? ""
        return String(url[..<scheme.upperBound]) + user + "***" + String(url[at...])
    }
}
