import Foundation
import Testing
@testable import SolverCluster

/// AUTH right after connect, against real servers: `requirepass` (password only) and an ACL user.
@Suite(.enabled(if: RedisTestServer.isAvailable, "redis-server is not installed"))
struct RedisLoginTests {
    static let password = "p@ss:w/rd %1"

    func endpoint(_ redis: RedisTestServer, _ credentials: RedisEndpoint.Credentials?, database: Int = 0) -> RedisEndpoint {
        RedisEndpoint(host: "127.0.0.1", port: redis.port, database: database, credentials: credentials)
    }

    @Test func requirepassLogsInBeforeSelect() throws {
        let redis = try #require(RedisTestServer(arguments: ["--requirepass", Self.password]))
        let client = RedisClient(endpoint: endpoint(redis, .init(password: Self.password), database: 3))
        try client.command("SET", "k", "v").checked()
        // SELECT ran after AUTH: the key is in database 3.
        let admin = RedisClient(endpoint: endpoint(redis, .init(password: Self.password)))
        #expect(try admin.command("EXISTS", "k") == .integer(0))
        try admin.command("SELECT", "3").checked()
        #expect(try admin.command("GET", "k") == .bulk(Array("v".utf8)))
    }

    @Test func aclUserLogsIn() throws {
        // ACL passwords cannot hold spaces; each rule is its own argument on the command line.
        let password = "acl:p@ss/1"
        let redis = try #require(RedisTestServer(arguments: [
            "--user", "solverd", "on", ">\(password)", "~solverd:*", "&solverd:*", "+@all", "--user", "default", "off"]))
        let client = RedisClient(endpoint: endpoint(redis, .init(username: "solverd", password: password)))
        try client.command("SET", "solverd:k", "v").checked()
        #expect(try client.command("ACL", "WHOAMI") == .bulk(Array("solverd".utf8)))
        // The ACL applies: keys outside solverd:* are refused.
        guard case .error(let message) = try client.command("SET", "other", "v") else { Issue.record("expected NOPERM"); return }
        #expect(message.hasPrefix("NOPERM"))
    }

    @Test func wrongPasswordFailsClearlyWithoutShowingIt() throws {
        let redis = try #require(RedisTestServer(arguments: ["--requirepass", Self.password]))
        let wrong = endpoint(redis, .init(password: "not-it"))
        #expect(!wrong.description.contains("not-it") && wrong.description.contains(":***@"))
        do {
            try RedisClient(endpoint: wrong).command("PING")
            Issue.record("a wrong password was accepted")
        } catch let error as RedisError {
            #expect(error.code == .authentication)
            #expect(error.message.contains("WRONGPASS") && error.message.contains("127.0.0.1:\(redis.port)"))
            #expect(!error.message.contains("not-it"))
        }
        let wrongUser = endpoint(redis, .init(username: "nobody", password: Self.password))
        #expect(throws: RedisError.authentication("")) { try RedisClient(endpoint: wrongUser).command("PING") }
        // No credentials: the connection opens, commands answer NOAUTH (what `solverd serve` reports at start-up).
        guard case .error(let message) = try RedisClient(endpoint: endpoint(redis, nil)).command("PING") else {
            Issue.record("expected NOAUTH"); return
        }
        #expect(message.hasPrefix("NOAUTH"))
    }

    @Test func subscriberLogsIn() throws {
        let redis = try #require(RedisTestServer(arguments: ["--requirepass", Self.password]))
        let login = endpoint(redis, .init(password: Self.password))
        let received = ReceivedMessages()
        let subscriber = RedisSubscriber(endpoint: login, channels: ["c"]) { channel, payload in
            received.add(channel, String(decoding: payload, as: UTF8.self))
        }
        subscriber.start()
        defer { subscriber.stop() }
        #expect(eventually { subscriber.isConnected })
        try RedisClient(endpoint: login).command("PUBLISH", "c", "hello").checked()
        #expect(eventually { received.all.count == 1 })
        #expect(received.all.first?.1 == "hello")
    }

    @Test func descriptionsHideThePassword() {
        let direct = RedisEndpoint(host: "h", port: 1, database: 2, credentials: .init(username: "u", password: "secret"))
        #expect(direct.description == "redis://u:***@h:1/2")
        let sentinel = RedisEndpoint(sentinels: [.init(host: "a", port: 26379), .init(host: "b", port: 26380)], masterName: "m",
                                     sentinelCredentials: .init(password: "s-secret"), credentials: .init(password: "secret"))
        #expect(sentinel.description == "redis+sentinel://:***@a:26379,b:26380/m")
        for text in ["\(sentinel.target)", String(reflecting: sentinel), String(reflecting: direct)] {
            #expect(!text.contains("secret"), "\(text)")
        }
    }
}
