import Foundation
import Testing
@testable import SolverCluster

@Suite(.enabled(if: RedisTestServer.isAvailable, "redis-server is not installed"))
struct RedisClientTests {
    @Test func repliesMapToRESPValues() throws {
        let redis = try #require(RedisTestServer())
        let client = RedisClient(endpoint: redis.endpoint)
        #expect(try client.command("PING") == .status("PONG"))
        #expect(try client.command("SET", "k", RedisArgument([0, 1, 255])) == .status("OK"))
        #expect(try client.command("GET", "k") == .bulk([0, 1, 255]))
        #expect(try client.command("GET", "missing") == .null)
        #expect(try client.command("INCR", "n") == .integer(1))
        #expect(try client.command("RPUSH", "l", "a", "b") == .integer(2))
        #expect(try client.command("LRANGE", "l", "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        guard case .error(let message) = try client.command("INCR", "k") else { Issue.record("expected an error reply"); return }
        #expect(message.contains("not an integer"))
        #expect(throws: RedisError.reply("")) { try client.command("INCR", "k").checked() }
    }

    @Test func pipelineKeepsOrder() throws {
        let redis = try #require(RedisTestServer())
        let client = RedisClient(endpoint: redis.endpoint)
        let replies = try client.pipeline((1...100).map { _ in ["INCR", "c"] as [RedisArgument] })
        #expect(replies == (1...100).map { RESPValue.integer(Int64($0)) })
    }

    @Test func scriptsLoadOnFirstUse() throws {
        let redis = try #require(RedisTestServer())
        let client = RedisClient(endpoint: redis.endpoint)
        let script = RedisScript("return ARGV[1] .. KEYS[1]")
        #expect(try client.evalScript(script, keys: ["k"], args: ["v"]) == .bulk(Array("vk".utf8)))
        #expect(try client.command(["SCRIPT", "EXISTS", RedisArgument(script.sha1)]) == .array([.integer(1)]))
    }

    @Test func redisGoingAwayGivesErrorsThenReconnects() throws {
        let redis = try #require(RedisTestServer())
        var options = RedisClient.Options()
        options.minBackoff = 0.01
        options.maxBackoff = 0.05
        let client = RedisClient(endpoint: redis.endpoint, options: options)
        try client.command("SET", "x", "1").checked()
        redis.stop()
        #expect(throws: RedisError.unavailable("")) { try client.command("GET", "x") }
        #expect(throws: RedisError.unavailable("")) { try client.command("GET", "x") }
        #expect(!client.isConnected)
        // A new server on the same port: the client reconnects by itself after the backoff.
        #expect(redis.start())
        var reply: RESPValue?
        for _ in 0..<300 where reply == nil {
            reply = try? client.command("PING")
            if reply == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(reply == .status("PONG"))
    }

    @Test func subscriberDeliversMessages() throws {
        let redis = try #require(RedisTestServer())
        let received = ReceivedMessages()
        let subscriber = RedisSubscriber(endpoint: redis.endpoint, channels: ["a"], patterns: ["p:*"]) { channel, payload in
            received.add(channel, String(decoding: payload, as: UTF8.self))
        }
        subscriber.start()
        defer { subscriber.stop() }
        let client = RedisClient(endpoint: redis.endpoint)
        for _ in 0..<200 where !subscriber.isConnected { Thread.sleep(forTimeInterval: 0.01) }
        try client.command("PUBLISH", "a", "one").checked()
        try client.command("PUBLISH", "p:x", "two").checked()
        try client.command("PUBLISH", "other", "three").checked()
        for _ in 0..<200 where received.all.count < 2 { Thread.sleep(forTimeInterval: 0.01) }
        #expect(received.all.map(\.0) == ["a", "p:x"])
        #expect(received.all.map(\.1) == ["one", "two"])
    }
}

final class ReceivedMessages: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(String, String)] = []
    func add(_ channel: String, _ payload: String) { lock.withLock { items.append((channel, payload)) } }
    var all: [(String, String)] { lock.withLock { items } }
}
