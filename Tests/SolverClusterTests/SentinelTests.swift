import Foundation
import Testing
@testable import SolverCluster

/// Master resolution through a real `redis-sentinel` (one master, one replica, one Sentinel with quorum 1), and
/// following a failover without a new client.
@Suite(.enabled(if: RedisTestServer.isSentinelAvailable, "redis-server or redis-sentinel is not installed"))
struct SentinelTests {
    static let password = "s3cret"

    /// A master and its replica, both wanting `password`, and a Sentinel watching them as `mymaster`.
    struct Group {
        let master: RedisTestServer
        let replica: RedisTestServer
        let sentinel: RedisTestServer

        init?() {
            let auth = ["--requirepass", SentinelTests.password, "--masterauth", SentinelTests.password]
            guard let master = RedisTestServer(arguments: auth),
                  let replica = RedisTestServer(arguments: auth + ["--replicaof", "127.0.0.1", "\(master.port)"]) else { return nil }
            // The Sentinel learns the replicas from the master's INFO, at once when it starts and then only every
            // 10 s: start it once the replica is attached.
            let replicaLogin = RedisEndpoint(host: "127.0.0.1", port: replica.port, credentials: .init(password: SentinelTests.password))
            guard eventually(10, { try RedisClient(endpoint: replicaLogin).command("ROLE").array?[3].string == "connected" }),
                  let sentinel = RedisTestServer(sentinelFor: master, masterName: "mymaster", masterPassword: SentinelTests.password)
            else { return nil }
            self.master = master
            self.replica = replica
            self.sentinel = sentinel
        }

        func endpoint(sentinels: [RedisEndpoint.Server]? = nil, masterName: String = "mymaster") -> RedisEndpoint {
            RedisEndpoint(sentinels: sentinels ?? [sentinel.server], masterName: masterName, database: 1,
                          credentials: .init(password: SentinelTests.password))
        }
    }

    @Test func resolvesTheMasterAskingSentinelsInTurn() throws {
        let group = try #require(Group())
        // The first "Sentinel" is not there: the client goes on to the next.
        let nobody = RedisEndpoint.Server(host: "127.0.0.1", port: RedisTestServer.freePort())
        let client = RedisClient(endpoint: group.endpoint(sentinels: [nobody, group.sentinel.server]))
        try client.command("SET", "k", "v").checked()
        let direct = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: group.master.port, database: 1,
                                                         credentials: .init(password: Self.password)))
        #expect(try direct.command("GET", "k") == .bulk(Array("v".utf8)))
    }

    @Test func unknownMasterNameIsReported() throws {
        let group = try #require(Group())
        do {
            try RedisClient(endpoint: group.endpoint(masterName: "nosuch")).command("PING")
            Issue.record("an unknown master name resolved")
        } catch let error as RedisError {
            #expect(error.code == .unavailable && error.message.contains("knows no master named nosuch"), "\(error)")
        }
    }

    @Test func sentinelLoginIsSeparateFromTheMasters() throws {
        let group = try #require(Group())
        let guarded = try #require(RedisTestServer(sentinelFor: group.master, masterName: "mymaster", masterPassword: Self.password,
                                                   arguments: ["--requirepass", "sentinel-pass"]))
        var endpoint = group.endpoint(sentinels: [guarded.server])
        // The Sentinel answers NOAUTH without its own password: a login failure, not "unreachable".
        #expect(throws: RedisError.authentication("")) { try RedisClient(endpoint: endpoint).command("PING") }
        endpoint.target = .sentinel(sentinels: [guarded.server], masterName: "mymaster",
                                    credentials: .init(password: "wrong"))
        #expect(throws: RedisError.authentication("")) { try RedisClient(endpoint: endpoint).command("PING") }
        endpoint.target = .sentinel(sentinels: [guarded.server], masterName: "mymaster",
                                    credentials: .init(password: "sentinel-pass"))
        #expect(try RedisClient(endpoint: endpoint).command("PING") == .status("PONG"))
    }

    /// kill -9 of the master: the Sentinel promotes the replica and the same client (and subscriber) carry on there.
    @Test(.timeLimit(.minutes(1))) func followsAFailover() throws {
        let group = try #require(Group())
        var options = RedisClient.Options()
        options.maxBackoff = 0.2
        let client = RedisClient(endpoint: group.endpoint(), options: options)
        try client.command("SET", "before", "1").checked()
        // WAIT: the replica has it, so the failover cannot lose it.
        #expect(try client.command("WAIT", "1", "2000") == .integer(1))
        let received = ReceivedMessages()
        let subscriber = RedisSubscriber(endpoint: group.endpoint(), channels: ["c"]) { channel, payload in
            received.add(channel, String(decoding: payload, as: UTF8.self))
        }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(eventually { subscriber.isConnected })
        let sentinel = try RedisConnection(server: group.sentinel.server, connectTimeout: 1, commandTimeout: 1)
        #expect(eventually(12) { try sentinel.command(["SENTINEL", "REPLICAS", "mymaster"]).array?.isEmpty == false })

        group.master.stop()
        #expect(eventually(20) { try client.command("SET", "after", "2") == .status("OK") }, "the client did not follow the failover")
        #expect(try client.command("GET", "before") == .bulk(Array("1".utf8)))
        #expect(client.isConnected)
        // The client is on the promoted replica now.
        let promoted = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: group.replica.port, database: 1,
                                                           credentials: .init(password: Self.password)))
        #expect(try promoted.command("GET", "after") == .bulk(Array("2".utf8)))
        // The subscriber reconnected to the new master too.
        #expect(eventually(10) {
            _ = try client.command("PUBLISH", "c", "x")
            return !received.all.isEmpty
        })
    }

    /// A write that meets a demoted master (`READONLY`) drops the connection, so the next call asks Sentinel again.
    @Test func readonlyReplyDropsTheConnection() throws {
        let group = try #require(Group())
        let client = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: group.replica.port,
                                                         credentials: .init(password: Self.password)))
        guard case .error(let message) = try client.command("SET", "k", "v") else { Issue.record("expected READONLY"); return }
        #expect(message.hasPrefix("READONLY"))
        #expect(!client.isConnected)
        #expect(try client.command("GET", "k") == .null)
    }
}
