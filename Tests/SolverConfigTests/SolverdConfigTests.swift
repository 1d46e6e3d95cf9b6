import SolverConfig
import SolverSecurity
import Testing

struct SolverdConfigTests {
    static let hash = StaticTokenStore.sha256Hex("token")

    @Test func emptyFileGivesTheDefaults() throws {
        let config = try SolverdConfig.parse(yaml: "")
        #expect(config == SolverdConfig())
        #expect(config.server.port == 3000)
        #expect(!config.auth.isEnabled)
    }

    @Test func readsEverySection() throws {
        let config = try SolverdConfig.parse(yaml: """
            server: {host: 0.0.0.0, port: 8080, heartbeat_seconds: 5, service_threads: 3}
            limits: {max_sessions: 7}
            sessions: {idle_timeout_seconds: 60, max_duration_seconds: 120, solving_priority: background}
            verification: {interval: 50, probe_count: 4}
            auth:
              tokens: [{principal: alice, sha256: \(Self.hash), roles: [admin]}]
              jwt: {hs256_secret: "0123456789abcdef0123456789abcdef", issuer: me, audience: solverd}
            rate_limits: {ip: {requests: 10, window_seconds: 1}, updates: {per_second: 5}}
            cluster: {redis_url: "redis://cache:6379", node_id: node-1}
            logging: {level: debug, format: json}
            """)
        #expect(config.server.host == "0.0.0.0" && config.server.port == 8080 && config.server.heartbeatSeconds == 5)
        #expect(config.server.serviceThreads == 3 && config.sessions.solvingPriority == "background")
        #expect(config.limits.maxSessions == 7 && config.verification.probeCount == 4)
        #expect(config.auth.tokens == [.init(sha256: Self.hash, principal: "alice", roles: ["admin"])])
        #expect(config.auth.jwt.keys.count == 1 && config.auth.jwt.issuer == "me")
        #expect(config.rateLimits.ip.requests == 10 && config.rateLimits.updatesPerSecond == 5)
        #expect(config.cluster.nodeID == "node-1" && config.logging.format == "json")
    }

    @Test(arguments: [
        ("server: {port: 70000}", "server.port"),
        ("server: {port: abc}", "server.port"),
        ("limits: {max_sessions: 0}", "limits.max_sessions"),
        ("server: {service_threads: 65}", "server.service_threads"),
        ("sessions: {solving_priority: realtime}", "sessions.solving_priority"),
        ("logging: {format: xml}", "logging.format"),
        ("rate_limits: {ip: {requests: -1}}", "rate_limits.ip.requests"),
        ("server: {prot: 1}", "server.prot"),
        ("auth: {tokens: [{principal: a, sha256: plaintext}]}", "auth.tokens[0].sha256"),
        ("auth: {jwt: {hs256_secret: short}}", "auth.jwt.hs256_secret"),
        ("auth: {jwt: {public_keys: [{algorithm: ES256, pem: nope}]}}", "auth.jwt.public_keys[0].pem"),
        ("server: {host: 0.0.0.0}", "server.host"),
        ("server: {tls: {cert: /nonexistent.pem}}", "server.tls.key"),
        ("cluster: {enabled: true}", "cluster.redis_url"),
        ("cluster: {redis_url: 'http://x'}", "cluster.redis_url"),
        ("cluster: {node_id: 'bad id!'}", "cluster.node_id"),
        ("sessions: {idle_timeout_seconds: 10, max_duration_seconds: 5}", "sessions.idle_timeout_seconds"),
    ])
    func errorsNameTheKey(yaml: String, key: String) {
        #expect { try SolverdConfig.parse(yaml: yaml) } throws: { ($0 as? ConfigError)?.key == key }
    }

    @Test func environmentOverridesTheFileByKeyPath() throws {
        let env = ["SOLVERD_PORT": "4000", "SOLVERD_RATE_LIMITS_IP_REQUESTS": "9", "SOLVERD_LOGGING_FORMAT": "json",
                   "SOLVERD_AUTH_TOKENS": "bob:\(Self.hash):admin+ops"]
        let config = try SolverdConfig.parse(yaml: "server: {port: 3001}", environment: env)
        #expect(config.server.port == 4000)
        #expect(config.rateLimits.ip.requests == 9)
        #expect(config.logging.format == "json")
        #expect(config.auth.tokens == [.init(sha256: Self.hash, principal: "bob", roles: ["admin", "ops"])])
        #expect { try SolverdConfig.parse(yaml: "", environment: ["SOLVERD_SERVER_PORT": "x"]) } throws: {
            ($0 as? ConfigError)?.key == "server.port"
        }
    }

    @Test func nonLoopbackNeedsAuthOrInsecure() throws {
        #expect(try SolverdConfig.parse(yaml: "server: {host: 0.0.0.0, insecure: true}").server.insecure)
        let withAuth = "server: {host: 0.0.0.0}\nauth: {tokens: [{principal: a, sha256: \(Self.hash)}]}"
        #expect(try SolverdConfig.parse(yaml: withAuth).auth.isEnabled)
    }
}
