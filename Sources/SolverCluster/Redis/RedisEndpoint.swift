/// Where Redis listens. The `redis://HOST[:PORT][/DB]` text is parsed once, by `RedisAddress` (SolverConfig), where
/// `solverd config check` can name the bad key; this client library only connects.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }

    public var description: String { "redis://\(host):\(port)" + (database == 0 ? "" : "/\(database)") }
}
