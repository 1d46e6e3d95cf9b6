/// Where cluster mode finds Redis, parsed from `cluster.redis_url` / `--cluster`: `redis://HOST[:PORT][/DB]`.
///
/// No credentials and no TLS in this version. This is the only parser of the text: it lives with the configuration
/// so `solverd config check` names the key and the reason without linking the cluster backend, and `solverd serve`
/// builds SolverCluster's `RedisEndpoint` from these parts.
public struct RedisAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int

    public init(host: String, port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses the URL or throws a ``ConfigError`` for `key` saying what is wrong with it.
    public init(url: String, key: String) throws(ConfigError) {
        func bad(_ why: String) -> ConfigError {
            ConfigError(key: key, "\(why); expected redis://HOST[:PORT][/DB], got '\(url)'")
        }
        if url.hasPrefix("rediss://") { throw bad("TLS (rediss://) is not supported yet") }
        guard url.hasPrefix("redis://") else { throw bad("must start with redis://") }
        var rest = Substring(url.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw bad("the database must be a number >= 0") }
                database = n
            }
            rest = rest[..<slash]
        }
        guard !rest.contains("@") else { throw bad("credentials in the URL are not supported") }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty else { throw bad("needs a host name or IPv4 address") }
        var port = 6379
        if parts.count == 2 {
            guard let p = Int(parts[1]), (1...65535).contains(p) else { throw bad("the port must be in 1...65535") }
            port = p
        }
        // hiredis may resolve `localhost` to ::1 first while redis-server listens on 127.0.0.1 only.
        self.init(host: host == "localhost" ? "127.0.0.1" : String(host), port: port, database: database)
    }

    public var description: String { "redis://\(host):\(port)" + (database == 0 ? "" : "/\(database)") }
}
