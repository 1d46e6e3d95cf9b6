import SolverSession

/// Redis key and channel names of one cluster (all under `prefix`, default `solverd`).
public struct ClusterKeys: Sendable {
    public let prefix: String
    public init(prefix: String = "solverd") { self.prefix = prefix }

    /// SET of the ids of every cluster session (live or waiting for a new owner).
    public var sessions: String { "\(prefix):sessions" }
    /// HASH node id → JSON description (address, kind, started).
    public var nodes: String { "\(prefix):nodes" }
    /// A node's heartbeat key, expiring after a few missed beats.
    public func alive(_ node: String) -> String { "\(prefix):node:\(node):alive" }
    /// `"node epoch"` of the current owner, with a TTL (the lease).
    public func lease(_ id: SessionID) -> String { "\(prefix):s:\(id):lease" }
    /// Counter incremented by every lease acquisition: the fencing token.
    public func epoch(_ id: SessionID) -> String { "\(prefix):s:\(id):epoch" }
    /// STREAM of accepted updates, entry id `<seq>-0`, fields `e` (epoch) and `u` (binary update).
    public func journal(_ id: SessionID) -> String { "\(prefix):s:\(id):journal" }
    /// The latest `SessionSnapshot` blob, expiring with the session's maximum duration.
    public func snapshot(_ id: SessionID) -> String { "\(prefix):s:\(id):snap" }
    /// Capped STREAM of published events (entry id `<seq>-0`, field `j`: the wire JSON), for resuming elsewhere.
    public func events(_ id: SessionID) -> String { "\(prefix):s:\(id):events" }
    /// Pub/sub channel of a session's live events: payload `"<seq> <type> <json>"`.
    public func eventChannel(_ id: SessionID) -> String { "\(prefix):ev:\(id)" }
    public var eventPattern: String { "\(prefix):ev:*" }
    /// Pub/sub channel of requests and replies addressed to one node.
    public func rpc(_ node: String) -> String { "\(prefix):rpc:\(node)" }
    /// Pub/sub channel of distributed-verification tasks and votes addressed to one node.
    public func votes(_ node: String) -> String { "\(prefix):vote:\(node)" }

    /// The session id of an event channel name.
    public func sessionID(fromEventChannel channel: String) -> SessionID? {
        let head = "\(prefix):ev:"
        guard channel.hasPrefix(head) else { return nil }
        return try? SessionID(validating: String(channel.dropFirst(head.count)))
    }
}
