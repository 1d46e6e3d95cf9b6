import Foundation

extension SolverdConfig {
    /// The `cluster:` block: cluster mode on Redis (README "Cluster mode"). Cluster mode runs when `redis_url` is set
    /// (`--cluster`); empty or null is the embedded default: one process, no Redis.
    public struct Cluster: Sendable, Equatable {
        /// `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` or `redis+sentinel://[USER:PASSWORD@]HOST[:PORT][,…]/MASTER[/DB]`
        /// (``RedisAddress``); nil (or empty in the file or environment) = embedded.
        public var redisURL: String?
        /// AUTH for the Sentinels of a `redis+sentinel://` URL when they need it (`requirepass` / an ACL user in
        /// sentinel.conf); the URL's own credentials are the master's. nil user = the default user.
        public var sentinelUsername: String?
        public var sentinelPassword: String?
        /// Kept from the placeholder schema so older files still load: `false` runs embedded although `redis_url`
        /// is set; `true` insists on `redis_url`. nil follows `redis_url`.
        public var enabled: Bool?
        /// This node's id in the cluster; nil = `hostname-pid`, unique per process without configuration.
        public var nodeID: String?
        /// Session lease. A dead owner's sessions move after at most this long (plus one tick); a drained owner's
        /// within a tick. Shorter means faster failover but more renewals and a higher risk of losing a lease to a
        /// GC-like pause.
        public var leaseMilliseconds = 3000
        /// Node heartbeat period; a node missing three is listed unhealthy. The lease keeper ticks at the shorter
        /// of this and a third of the lease.
        public var heartbeatMilliseconds = 1000
        /// Snapshot of each changed session at most this often: bounds the journal replayed at takeover.
        public var snapshotIntervalMilliseconds = 2000
        /// Events kept per session in Redis, for resuming a subscription on another node.
        public var eventLogLength = 1024
        /// Redis replicas that must confirm each journal write (`WAIT`) before the update is acknowledged; 0 = the
        /// master alone. With 1 and one replica behind Sentinel, an acknowledged update survives a master failover.
        public var waitReplicas = 0
        /// How long a journal write waits for those replicas; past it the update is applied but answered with
        /// `update_not_durable` (unconfirmed).
        public var waitTimeoutMilliseconds = 1000

        public init() {}

        public static let leaseRange = 100...600_000
        public static let heartbeatRange = 50...60_000
        public static let snapshotIntervalRange = 100...3_600_000
        public static let eventLogLengthRange = 16...10_000_000
        public static let waitReplicasRange = 0...100
        public static let waitTimeoutRange = 1...60_000

        /// Whether this process joins a cluster.
        public var isEnabled: Bool { redisURL != nil && enabled != false }

        /// The parsed `redis_url` with the Sentinel credentials (nil when embedded); throws naming the key.
        public func redisAddress() throws(ConfigError) -> RedisAddress? {
            guard isEnabled, let redisURL else { return nil }
            var address = try RedisAddress(url: redisURL, key: "cluster.redis_url")
            if sentinelUsername != nil || sentinelPassword != nil {
                let key = sentinelPassword == nil ? "cluster.sentinel_username" : "cluster.sentinel_password"
                guard address.isSentinel else { throw ConfigError(key: key, "applies to redis+sentinel:// URLs only") }
                guard sentinelPassword != nil else {
                    throw ConfigError(key: "cluster.sentinel_password", "is required with cluster.sentinel_username")
                }
            }
            address.sentinelUsername = sentinelUsername
            address.sentinelPassword = sentinelPassword
            return address
        }
    }
}

extension SolverdConfig.Cluster {
    mutating func read(_ c: ConfigSection) throws {
        redisURL = try c.string("redis_url").flatMap { $0.isEmpty ? nil : $0 }
        sentinelUsername = try c.string("sentinel_username").flatMap { $0.isEmpty ? nil : $0 }
        sentinelPassword = try c.string("sentinel_password").flatMap { $0.isEmpty ? nil : $0 }
        enabled = try c.raw("enabled") == nil ? nil : c.bool("enabled", false)
        nodeID = try c.string("node_id")
        leaseMilliseconds = try c.int("lease_ms", leaseMilliseconds, in: Self.leaseRange)
        heartbeatMilliseconds = try c.int("heartbeat_ms", heartbeatMilliseconds, in: Self.heartbeatRange)
        snapshotIntervalMilliseconds = try c.int("snapshot_interval_ms", snapshotIntervalMilliseconds, in: Self.snapshotIntervalRange)
        eventLogLength = try c.int("event_log_length", eventLogLength, in: Self.eventLogLengthRange)
        waitReplicas = try c.int("wait_replicas", waitReplicas, in: Self.waitReplicasRange)
        waitTimeoutMilliseconds = try c.int("wait_timeout_ms", waitTimeoutMilliseconds, in: Self.waitTimeoutRange)
        try c.finish()
    }

    /// Checks that hold whatever set the values (file, environment or `--cluster`/`--node-id`/`--lease-ms`/
    /// `--wait-replicas`/`--wait-timeout-ms`).
    func validate() throws {
        if enabled == true, redisURL == nil {
            throw ConfigError(key: "cluster.redis_url", "is required when cluster.enabled is true")
        }
        _ = try redisAddress()
        if let node = nodeID {
            // The id is a Redis key part and a space-separated field of the lease value and the RPC header.
            let allowed = node.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            guard !node.isEmpty, node.count <= 64, allowed else {
                throw ConfigError(key: "cluster.node_id", "must be 1-64 letters, digits, '-', '_' or '.', got '\(node)'")
            }
        }
        for (key, value, range) in [("cluster.lease_ms", leaseMilliseconds, Self.leaseRange),
                                    ("cluster.wait_replicas", waitReplicas, Self.waitReplicasRange),
                                    ("cluster.wait_timeout_ms", waitTimeoutMilliseconds, Self.waitTimeoutRange)]
        where !range.contains(value) {
            throw ConfigError(key: key, "must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }
}
