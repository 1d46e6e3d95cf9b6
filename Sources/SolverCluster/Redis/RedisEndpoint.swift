/// Where Redis is and how to log in. The URL text is parsed once, by `RedisAddress` (SolverConfig), where
/// `solverd config check` can name the bad key; this client library only connects.
///
/// Either one server, or Sentinels that name the current master of `masterName`: every new connection asks them
/// (`RedisConnection.open`), so a client that reconnects after a failover follows the new master.
/// `description` never shows a password.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Server: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }
    }

    /// `AUTH USER PASSWORD` (an ACL user) or, with no user, `AUTH PASSWORD`.
    public struct Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
        public var username: String?
        public var password: String
        public init(username: String? = nil, password: String) {
            self.username = username
            self.password = password
        }
        public var description: String { "\(username ?? ""):***" }
        public var debugDescription: String { description }
        var authArguments: [RedisArgument] {
            ["AUTH"] + (username.map { [RedisArgument($0)] } ?? []) + [RedisArgument(password)]
        }
    }

    public enum Target: Sendable, Equatable {
        case server(Server)
        /// Asked in order for the master's address; `credentials` are the Sentinels' own.
        case sentinel(sentinels: [Server], masterName: String, credentials: Credentials?)
    }

    public var target: Target
    public var database: Int
    /// The data connections' login (the master's, under Sentinel).
    public var credentials: Credentials?

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0, credentials: Credentials? = nil) {
        self.target = .server(Server(host: host, port: port))
        self.database = database
        self.credentials = credentials
    }

    public init(sentinels: [Server], masterName: String, sentinelCredentials: Credentials? = nil, database: Int = 0,
                credentials: Credentials? = nil) {
        self.target = .sentinel(sentinels: sentinels, masterName: masterName, credentials: sentinelCredentials)
        self.database = database
        self.credentials = credentials
    }

    public var debugDescription: String { description }

    public var description: String {
        let login = credentials.map { "\($0)@" } ?? ""
        let db = database == 0 ? "" : "/\(database)"
        switch target {
        case .server(let server):
            return "redis://\(login)\(server)\(db)"
        case .sentinel(let sentinels, let name, _):
            return "redis+sentinel://\(login)\(sentinels.map(\.description).joined(separator: ","))/\(name)\(db)"
        }
    }
}
