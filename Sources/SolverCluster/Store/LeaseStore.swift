import SolverSession

/// Session leases in Redis: `SET NX PX` through a script that also bumps the fencing epoch.
public struct LeaseStore: Sendable {
    public enum Acquisition: Sendable, Equatable {
        case acquired(epoch: UInt64)
        /// Someone holds it: `"node epoch"`.
        case held(by: String, epoch: UInt64)
    }

    let client: RedisClient
    let keys: ClusterKeys
    let node: String
    /// Lease time in milliseconds.
    public let leaseMilliseconds: Int

    public init(client: RedisClient, keys: ClusterKeys, node: String, leaseMilliseconds: Int) {
        self.client = client
        self.keys = keys
        self.node = node
        self.leaseMilliseconds = leaseMilliseconds
    }

    public func acquire(_ id: SessionID) throws -> Acquisition {
        let reply = try client.evalScript(ClusterScripts.acquire, keys: [RedisArgument(keys.lease(id)), RedisArgument(keys.epoch(id))],
                                          args: [RedisArgument(node), RedisArgument(leaseMilliseconds)])
        guard let parts = reply.array, parts.count == 2, let taken = parts[0].integer else {
            throw RedisError.protocolError("unexpected acquire reply \(reply)")
        }
        if taken == 1, let epoch = parts[1].integer { return .acquired(epoch: UInt64(epoch)) }
        let holder = Self.parse(parts[1].string ?? "")
        return .held(by: holder.node, epoch: holder.epoch)
    }

    /// Extends our lease; false when it was lost (another node took it).
    public func renew(_ id: SessionID, epoch: UInt64) throws -> Bool {
        try client.evalScript(ClusterScripts.renew, keys: [RedisArgument(keys.lease(id)), RedisArgument(keys.epoch(id))],
                              args: [RedisArgument(node), RedisArgument(epoch), RedisArgument(leaseMilliseconds)]).integer == 1
    }

    /// Renews many leases in one round trip; returns the ids whose lease was lost. Throws when Redis is unreachable
    /// (the leases are then unknown: the caller keeps them until they would have expired).
    public func renew(_ leases: [SessionID: UInt64]) throws -> [SessionID] {
        let ids = Array(leases.keys)
        let commands = ids.map { id in
            ClusterScripts.renew.evalSHA(keys: [RedisArgument(keys.lease(id)), RedisArgument(keys.epoch(id))],
                                         args: [RedisArgument(node), RedisArgument(leases[id]!), RedisArgument(leaseMilliseconds)])
        }
        var replies = try client.pipeline(commands)
        if replies.contains(where: \.isNoScript) {
            try client.command(ClusterScripts.renew.load).checked()
            replies = try client.pipeline(commands)
        }
        return zip(ids, replies).filter { $0.1.integer != 1 }.map(\.0)
    }

    public func release(_ id: SessionID, epoch: UInt64) throws {
        _ = try client.evalScript(ClusterScripts.release, keys: [RedisArgument(keys.lease(id))], args: [RedisArgument("\(node) \(epoch)")])
    }

    /// The current holder, if any.
    /// The holders of many leases in one round trip (nil where none is held).
    public func holders(_ ids: [SessionID]) throws -> [(node: String, epoch: UInt64)?] {
        guard !ids.isEmpty else { return [] }
        return try client.pipeline(ids.map { ["GET", RedisArgument(keys.lease($0))] }).map { reply in
            try reply.checked().string.map(Self.parse)
        }
    }

    public func holder(_ id: SessionID) throws -> (node: String, epoch: UInt64)? { try holders([id])[0] }

    static func parse(_ text: String) -> (node: String, epoch: UInt64) {
        let parts = text.split(separator: " ")
        return (parts.first.map(String.init) ?? "", parts.count > 1 ? UInt64(parts[1]) ?? 0 : 0)
    }
}
