/// Opening a ready connection: where to connect (the server, or the master the Sentinels name now), AUTH right
/// after connecting, then `SELECT`. Every connection the cluster opens — `RedisClient`s and the pub/sub
/// `RedisSubscriber` — comes from `open`, so each reconnect asks Sentinel again and follows a failover.
extension RedisConnection {
    /// A logged-in connection to the database `endpoint` names. Throws `.authentication` when a server refuses the
    /// credentials, `.unavailable` when no server (or no Sentinel, or no master) can be reached.
    static func open(_ endpoint: RedisEndpoint, connectTimeout: Double, commandTimeout: Double?) throws -> RedisConnection {
        let connection: RedisConnection
        switch endpoint.target {
        case .server(let server):
            connection = try RedisConnection(server: server, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            try connection.authenticate(endpoint.credentials, as: "redis://\(server)")
        case .sentinel(let sentinels, let name, let sentinelCredentials):
            let master = try masterAddress(name, sentinels: sentinels, credentials: sentinelCredentials,
                                           timeout: connectTimeout, commandTimeout: commandTimeout)
            connection = try RedisConnection(server: master, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            try connection.authenticate(endpoint.credentials, as: "master \(name) at \(master)")
            try connection.checkIsMaster(name)
        }
        if endpoint.database != 0 {
            if case .error(let message) = try connection.command(["SELECT", RedisArgument(endpoint.database)]) {
                throw RedisError.reply("SELECT \(endpoint.database) on \(connection.server): \(message)")
            }
        }
        return connection
    }

    /// `AUTH [user] password`, before anything else is sent. A refusal is an `.authentication` error naming `what`
    /// (Redis's reply never repeats the password).
    func authenticate(_ credentials: RedisEndpoint.Credentials?, as what: String) throws {
        guard let credentials else { return }
        if case .error(let message) = try command(credentials.authArguments) {
            throw RedisError.authentication("\(what) refused AUTH as \(credentials.username ?? "the default user"): \(message)")
        }
    }

    /// `ROLE` must say master: right after a failover a Sentinel may still name the old master, now a replica.
    /// A user whose ACL forbids ROLE (`-@dangerous`) skips the check; a write to a replica then answers `READONLY`,
    /// which makes `RedisClient` reconnect.
    private func checkIsMaster(_ name: String) throws {
        let reply = try command(["ROLE"])
        if case .error(let message) = reply, message.hasPrefix("NOPERM") { return }
        guard let role = reply.array?.first?.string else {
            throw RedisError.protocolError("ROLE on \(server) answered \(reply)")
        }
        guard role == "master" else {
            throw RedisError.unavailable("Sentinel names \(server) as master \(name), but it is a \(role); waiting for the failover to finish")
        }
    }

    /// Asks each Sentinel in turn (`SENTINEL get-master-addr-by-name`) and returns the first answer.
    private static func masterAddress(_ name: String, sentinels: [RedisEndpoint.Server],
                                      credentials: RedisEndpoint.Credentials?, timeout: Double,
                                      commandTimeout: Double?) throws -> RedisEndpoint.Server {
        var failures: [String] = []
        var refusedLogin = false
        for sentinel in sentinels {
            do {
                let connection = try RedisConnection(server: sentinel, connectTimeout: timeout,
                                                     commandTimeout: min(commandTimeout ?? 2, 2))
                try connection.authenticate(credentials, as: "Sentinel \(sentinel)")
                let reply = try connection.command(["SENTINEL", "get-master-addr-by-name", RedisArgument(name)])
                if let parts = reply.array, parts.count == 2, let host = parts[0].string,
                   let port = parts[1].integer, let p = Int(exactly: port) {
                    return RedisEndpoint.Server(host: host, port: p)
                }
                refusedLogin = refusedLogin || reply.refusesLogin
                failures.append(reply.isNull ? "\(sentinel) knows no master named \(name)" : "Sentinel \(sentinel) answered \(reply)")
            } catch let error as RedisError {
                refusedLogin = refusedLogin || error.code == .authentication
                failures.append(error.message)
            }
        }
        let summary = "no Sentinel named the master \(name): " + failures.joined(separator: "; ")
        throw refusedLogin ? RedisError.authentication(summary) : RedisError.unavailable(summary)
    }
}

extension RESPValue {
    /// `NOAUTH` (credentials needed), `WRONGPASS`, or `NOPERM` (the ACL user may not run the command).
    public var refusesLogin: Bool {
        guard case .error(let message) = self else { return false }
        return ["NOAUTH", "WRONGPASS", "NOPERM"].contains { message.hasPrefix($0) }
    }

    /// An error reply saying this server cannot take writes any more — a demoted master (`READONLY`) or a replica
    /// that lost its master (`MASTERDOWN`): the connection should be dropped so the next one asks Sentinel again.
    var demandsReconnect: Bool {
        guard case .error(let message) = self else { return false }
        return message.hasPrefix("READONLY") || message.hasPrefix("MASTERDOWN")
    }
}
