import Foundation

extension SolverdConfig {
    /// The `cluster:` block: cluster mode on Redis (README "Cluster mode"). Cluster mode runs when `redis_url` is set
    /// (`--cluster`); empty or null is the embedded default: one process, no Redis.
    public struct Cluster: Sendable, Equatable {
        /// `redis://HOST[:PORT][/DB]`; nil (or empty in the file or environment) = embedded.
        public var redisURL: String?
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

        public init() {}

        public static let leaseRange = 100...600_000
        public static let heartbeatRange = 50...60_000
        public static let snapshotIntervalRange = 100...3_600_000
        public static let eventLogLengthRange = 16...10_000_000

        /// Whether this process joins a cluster.
        public var isEnabled: Bool { redisURL != nil && enabled != false }

        /// The parsed `redis_url` (nil when embedded); throws naming `cluster.redis_url`.
        public func redisAddress() throws(ConfigError) -> RedisAddress? {
            guard isEnabled, let redisURL else { return nil }
            return try RedisAddress(url: redisURL, key: "cluster.redis_url")
        }
    }
}

extension SolverdConfig.Cluster {
    mutating func read(_ c: ConfigSection) throws {
        redisURL = try c.string("redis_url").flatMap { $0.isEmpty ? nil : $0 }
        enabled = try c.raw("enabled") == nil ? nil : c.bool("enabled", false)
        nodeID = try c.string("node_id")
        leaseMilliseconds = try c.int("lease_ms", leaseMilliseconds, in: Self.leaseRange)
        heartbeatMilliseconds = try c.int("heartbeat_ms", heartbeatMilliseconds, in: Self.heartbeatRange)
        snapshotIntervalMilliseconds = try c.int("snapshot_interval_ms", snapshotIntervalMilliseconds, in: Self.snapshotIntervalRange)
        eventLogLength = try c.int("event_log_length", eventLogLength, in: Self.eventLogLengthRange)
        try c.finish()
    }

    /// Checks that hold whatever set the values (file, environment or `--cluster`/`--node-id`/`--lease-ms`).
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
        guard Self.leaseRange.contains(leaseMilliseconds) else {
            throw ConfigError(key: "cluster.lease_ms", "must be in \(Self.leaseRange.lowerBound)...\(Self.leaseRange.upperBound), got \(leaseMilliseconds)")
        }
    }
}
