/// Where Redis listens: `redis://HOST:PORT[/DB]` (no credentials, no TLS in this version).
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses `redis://host:port[/db]`; nil when the text is not such a URL.
    public init?(url: String) {
        guard url.hasPrefix("redis://") else { return nil }
        var rest = Substring(url.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { return nil }
                database = n
            }
            rest = rest[..<slash]
        }
        guard !rest.contains("@") else { return nil }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty else { return nil }
        var port = 6379
        if parts.count == 2 {
            guard let p = Int(parts[1]), (1...65535).contains(p) else { return nil }
            port = p
        }
        self.init(host: String(host == "localhost" ? "127.0.0.1" : host), port: port, database: database)
    }

    public var description: String { "redis://\(host):\(port)" + (database == 0 ? "" : "/\(database)") }
}
