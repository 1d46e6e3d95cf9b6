import SolverCore
import SolverSession

/// Snapshots, the journal and the event log of cluster sessions in Redis (reads, and the fenced snapshot write).
public struct SessionStore: Sendable {
    let client: RedisClient
    let keys: ClusterKeys
    /// Snapshot TTL: the sessions' maximum duration, so no snapshot outlives its session (docs/design.md §10).
    public let snapshotTTLMilliseconds: Int

    public init(client: RedisClient, keys: ClusterKeys, snapshotTTLMilliseconds: Int) {
        self.client = client
        self.keys = keys
        self.snapshotTTLMilliseconds = snapshotTTLMilliseconds
    }

    /// Registers a new session id in the cluster index.
    public func register(_ id: SessionID) throws {
        try client.command("SADD", RedisArgument(keys.sessions), RedisArgument(id.rawValue)).checked()
    }

    /// Whether `id` is in the cluster index (live, or waiting for a new owner).
    public func isRegistered(_ id: SessionID) throws -> Bool {
        try client.command("SISMEMBER", RedisArgument(keys.sessions), RedisArgument(id.rawValue)).checked().integer == 1
    }

    public func sessionIDs() throws -> [SessionID] {
        (try client.command("SMEMBERS", RedisArgument(keys.sessions)).checked().array ?? [])
            .compactMap { $0.string.flatMap { try? SessionID(validating: $0) } }
    }

    /// Writes a snapshot if `epoch` is still current, and trims journal entries it already contains.
    /// Returns false when fenced.
    public func save(_ snapshot: SessionSnapshot, epoch: UInt64) throws -> Bool {
        let id = snapshot.id
        let reply = try client.command(ClusterScripts.snapshot.evalSHA(
            keys: [RedisArgument(keys.epoch(id)), RedisArgument(keys.snapshot(id)), RedisArgument(keys.journal(id))],
            args: [RedisArgument(epoch), RedisArgument(snapshot.encode()), RedisArgument(snapshotTTLMilliseconds),
                   RedisArgument(snapshot.lastAppliedSeq + 1)]))
        if reply.isNoScript {
            try client.command(ClusterScripts.snapshot.load).checked()
            return try save(snapshot, epoch: epoch)
        }
        if reply.isFenced { return false }
        try reply.checked()
        return true
    }

    public func loadSnapshot(_ id: SessionID) throws -> SessionSnapshot? {
        guard let bytes = try client.command("GET", RedisArgument(keys.snapshot(id))).checked().bytes else { return nil }
        return try SessionSnapshot.decode(bytes)
    }

    /// Journal entries with seq > `after`, in order, decoded.
    public func journal(_ id: SessionID, after: UInt64) throws -> [(seq: UInt64, epoch: UInt64, update: CostUpdate)] {
        let reply = try client.command("XRANGE", RedisArgument(keys.journal(id)), RedisArgument("\(after + 1)-0"), "+").checked()
        return try (reply.array ?? []).map { entry in
            let (seq, fields) = try Self.streamEntry(entry)
            guard let update = fields["u"] else { throw RedisError.protocolError("journal entry \(seq) has no update") }
            return (seq, UInt64(String(decoding: fields["e"] ?? [], as: UTF8.self)) ?? 0, try CostUpdate.decodeBinary(update))
        }
    }

    /// The largest seq in the journal and in the event log (0 when empty): a restored session continues after both.
    public func lastSeqs(_ id: SessionID) throws -> UInt64 {
        let replies = try client.pipeline([
            ["XREVRANGE", RedisArgument(keys.journal(id)), "+", "-", "COUNT", "1"],
            ["XREVRANGE", RedisArgument(keys.events(id)), "+", "-", "COUNT", "1"],
        ])
        return try replies.map { reply in
            guard let first = try reply.checked().array?.first else { return UInt64(0) }
            return try Self.streamEntry(first).seq
        }.max() ?? 0
    }

    /// Logged events with seq > `after`: (seq, type, wire JSON).
    public func events(_ id: SessionID, after: UInt64) throws -> [(seq: UInt64, type: String, json: [UInt8])] {
        let reply = try client.command("XRANGE", RedisArgument(keys.events(id)), RedisArgument("\(after + 1)-0"), "+").checked()
        return try (reply.array ?? []).map { entry in
            let (seq, fields) = try Self.streamEntry(entry)
            return (seq, String(decoding: fields["t"] ?? [], as: UTF8.self), fields["j"] ?? [])
        }
    }

    /// Deletes everything of a session that ended for good.
    public func forget(_ id: SessionID) throws {
        _ = try client.pipeline([
            ["SREM", RedisArgument(keys.sessions), RedisArgument(id.rawValue)],
            ["DEL", RedisArgument(keys.snapshot(id)), RedisArgument(keys.journal(id)), RedisArgument(keys.events(id)),
             RedisArgument(keys.lease(id)), RedisArgument(keys.epoch(id))],
        ])
    }

    /// `[id, [field, value, …]]` → (seq from `<seq>-0`, fields).
    static func streamEntry(_ entry: RESPValue) throws -> (seq: UInt64, fields: [String: [UInt8]]) {
        guard let parts = entry.array, parts.count == 2, let id = parts[0].string, let list = parts[1].array,
              let seq = UInt64(id.split(separator: "-").first ?? "") else {
            throw RedisError.protocolError("malformed stream entry")
        }
        var fields: [String: [UInt8]] = [:]
        var k = 0
        while k + 1 < list.count {
            if let name = list[k].string { fields[name] = list[k + 1].bytes ?? [] }
            k += 2
        }
        return (seq, fields)
    }
}
