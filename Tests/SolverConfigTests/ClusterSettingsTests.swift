import SolverConfig
import Testing

/// The `cluster:` block and `RedisAddress`: defaults, every key, environment overrides and field-named errors.
struct ClusterSettingsTests {
    @Test func embeddedByDefaultAndWhenTheURLIsEmpty() throws {
        #expect(!SolverdConfig().cluster.isEnabled)
        #expect(try SolverdConfig.parse(yaml: "cluster: {redis_url: ''}").cluster.redisURL == nil)
        let fromShippedDefaults = try SolverdConfig.parse(yaml: "cluster: {redis_url: '', enabled: null, node_id: null}")
        #expect(fromShippedDefaults.cluster == SolverdConfig.Cluster())
        #expect(try fromShippedDefaults.cluster.redisAddress() == nil)
    }

    @Test func readsEveryKey() throws {
        let c = try SolverdConfig.parse(yaml: """
            cluster:
              redis_url: redis://cache.internal:7000/2
              node_id: node-a.1
              lease_ms: 5000
              heartbeat_ms: 250
              snapshot_interval_ms: 500
              event_log_length: 4096
              wait_replicas: 1
              wait_timeout_ms: 250
            """).cluster
        #expect(c.isEnabled && c.nodeID == "node-a.1")
        #expect(c.waitReplicas == 1 && c.waitTimeoutMilliseconds == 250)
        #expect(c.leaseMilliseconds == 5000 && c.heartbeatMilliseconds == 250)
        #expect(c.snapshotIntervalMilliseconds == 500 && c.eventLogLength == 4096)
        #expect(try c.redisAddress() == RedisAddress(host: "cache.internal", port: 7000, database: 2))
    }

    @Test func enabledFalseKeepsTheURLButRunsEmbedded() throws {
        let c = try SolverdConfig.parse(yaml: "cluster: {redis_url: 'redis://r:1', enabled: false}").cluster
        #expect(c.redisURL == "redis://r:1" && !c.isEnabled)
        #expect(try c.redisAddress() == nil)
    }

    @Test func environmentOverridesTheFile() throws {
        let env = ["SOLVERD_CLUSTER_REDIS_URL": "redis://localhost", "SOLVERD_CLUSTER_LEASE_MS": "1500",
                   "SOLVERD_CLUSTER_NODE_ID": "from-env", "SOLVERD_CLUSTER_HEARTBEAT_MS": "300"]
        let c = try SolverdConfig.parse(yaml: "cluster: {redis_url: 'redis://file:1', lease_ms: 9000}", environment: env).cluster
        #expect(c.leaseMilliseconds == 1500 && c.nodeID == "from-env" && c.heartbeatMilliseconds == 300)
        #expect(try c.redisAddress() == RedisAddress(host: "127.0.0.1", port: 6379))
        // An empty URL in the environment switches a file's cluster off.
        let off = try SolverdConfig.parse(yaml: "cluster: {redis_url: 'redis://file:1'}", environment: ["SOLVERD_CLUSTER_REDIS_URL": ""])
        #expect(!off.cluster.isEnabled)
    }

    @Test(arguments: [
        ("cluster: {redis_url: 'http://x'}", "cluster.redis_url", "redis://"),
        ("cluster: {redis_url: 'rediss://x:6380'}", "cluster.redis_url", "TLS"),
        ("cluster: {redis_url: 'redis://u@x'}", "cluster.redis_url", "credentials"),
        ("cluster: {redis_url: 'redis+sentinel://x:1'}", "cluster.redis_url", "master"),
        ("cluster: {redis_url: 'redis://x:1', sentinel_password: p}", "cluster.sentinel_password", "redis+sentinel://"),
        ("cluster: {redis_url: 'redis+sentinel://x/m', sentinel_username: u}", "cluster.sentinel_password", "required"),
        ("cluster: {wait_replicas: -1}", "cluster.wait_replicas", "0...100"),
        ("cluster: {wait_timeout_ms: 0}", "cluster.wait_timeout_ms", "1...60000"),
        ("cluster: {redis_url: 'redis://:6379'}", "cluster.redis_url", "host"),
        ("cluster: {redis_url: 'redis://x:99999'}", "cluster.redis_url", "port"),
        ("cluster: {redis_url: 'redis://x:1/db'}", "cluster.redis_url", "database"),
        ("cluster: {lease_ms: 50}", "cluster.lease_ms", "100...600000"),
        ("cluster: {lease_ms: soon}", "cluster.lease_ms", "integer"),
        ("cluster: {heartbeat_ms: 0}", "cluster.heartbeat_ms", "50...60000"),
        ("cluster: {snapshot_interval_ms: 10}", "cluster.snapshot_interval_ms", "100..."),
        ("cluster: {event_log_length: 1}", "cluster.event_log_length", "16..."),
        ("cluster: {node_id: ''}", "cluster.node_id", "1-64"),
        ("cluster: {node_id: 'a b'}", "cluster.node_id", "1-64"),
        ("cluster: {enabled: true}", "cluster.redis_url", "required"),
        ("cluster: {enabled: maybe}", "cluster.enabled", "true or false"),
        ("cluster: {lease: 3000}", "cluster.lease", "unknown key"),
    ])
    func errorsNameTheKey(yaml: String, key: String, reason: String) {
        #expect { try SolverdConfig.parse(yaml: yaml) } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == key && error.reason.contains(reason)
        }
    }

    /// Flags change values after loading; `validate()` must catch what they set wrongly, naming the config key.
    @Test func validateCatchesWhatFlagsSet() {
        var config = SolverdConfig()
        config.cluster.redisURL = "redis://r:1"
        config.cluster.leaseMilliseconds = 99
        #expect { try config.validate() } throws: { ($0 as? ConfigError)?.key == "cluster.lease_ms" }
        config.cluster.leaseMilliseconds = 3000
        config.cluster.nodeID = "x y"
        #expect { try config.validate() } throws: { ($0 as? ConfigError)?.key == "cluster.node_id" }
        config.cluster.nodeID = nil
        config.cluster.redisURL = "redis:/r"
        #expect { try config.validate() } throws: { ($0 as? ConfigError)?.key == "cluster.redis_url" }
        config.cluster.redisURL = "redis://r:1"
        config.cluster.waitReplicas = 101
        #expect { try config.validate() } throws: { ($0 as? ConfigError)?.key == "cluster.wait_replicas" }
    }
}
