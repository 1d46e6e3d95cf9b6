import SolverConfig
import Testing

/// `RedisAddress`: the URL forms of `cluster.redis_url`, credentials, Sentinel lists, bad cases and redaction.
struct RedisAddressTests {
    func parse(_ url: String) throws -> RedisAddress { try RedisAddress(url: url, key: "cluster.redis_url") }

    @Test func plainServer() throws {
        #expect(try parse("redis://127.0.0.1:7000") == RedisAddress(host: "127.0.0.1", port: 7000))
        #expect(try parse("redis://localhost") == RedisAddress(host: "127.0.0.1", port: 6379))
        #expect(try parse("redis://h:1/2").database == 2)
        #expect(try parse("redis://h/") == RedisAddress(host: "h"))
        #expect(RedisAddress(host: "h", port: 1, database: 3).description == "redis://h:1/3")
        #expect { try RedisAddress(url: "redis://h:1:2", key: "--cluster") } throws: { ($0 as? ConfigError)?.key == "--cluster" }
    }

    @Test func credentials() throws {
        let acl = try parse("redis://solverd:s3cret@10.0.0.5:6380/4")
        #expect(acl == RedisAddress(host: "10.0.0.5", port: 6380, database: 4, username: "solverd", password: "s3cret"))
        let passwordOnly = try parse("redis://:s3cret@h")
        #expect(passwordOnly.username == nil && passwordOnly.password == "s3cret")
        // Percent-decoding; the last '@' ends the credentials.
        let encoded = try parse("redis://us%40er:p%3Aa%2Fs%25s%40w@h:1")
        #expect(encoded.username == "us@er" && encoded.password == "p:a/s%s@w")
        #expect(try parse("redis://:p@ss@h").password == "p@ss")
    }

    @Test func sentinel() throws {
        let a = try parse("redis+sentinel://:pw@10.0.0.1:26380,10.0.0.2,localhost:26381/mymaster/3")
        #expect(a.isSentinel && a.masterName == "mymaster" && a.database == 3 && a.password == "pw" && a.username == nil)
        #expect(a.servers.map(\.description) == ["10.0.0.1:26380", "10.0.0.2:26379", "127.0.0.1:26381"])
        let single = try parse("redis+sentinel://s/m")
        #expect(single.servers.map(\.description) == ["s:26379"] && single.masterName == "m" && single.password == nil)
        #expect(try parse("redis+sentinel://s/m/").database == 0)
    }

    @Test(arguments: [
        ("http://x", "must start with"),
        ("rediss://x:6380", "stunnel"),
        ("redis://u@x", "USER:PASSWORD"),
        ("redis://u:@x", "password is empty"),
        ("redis://u:%zz@x", "percent-escape"),
        ("redis://:6379", "host"),
        ("redis://x:99999", "port"),
        ("redis://x:0", "port"),
        ("redis://x:1/db", "database"),
        ("redis://x/1/2", "path segments"),
        ("redis://a,b", "several hosts"),
        ("redis://x?db=1", "query"),
        ("redis+sentinel://a:1,b:2", "master's name"),
        ("redis+sentinel://a:1/", "master's name"),
        ("redis+sentinel://a:1,/m", "host"),
        ("redis+sentinel://a/m/x", "database"),
        ("redis+sentinel://a/m/1/2", "path segments"),
    ])
    func badURLs(url: String, reason: String) {
        #expect { try parse(url) } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == "cluster.redis_url" && error.reason.contains(reason)
        }
    }

    @Test func passwordsNeverShow() throws {
        let a = try parse("redis://solverd:topsecret@h:1/2")
        #expect(a.description == "redis://solverd:***@h:1/2")
        #expect(!String(reflecting: a).contains("topsecret") && !"\(a)".contains("topsecret"))
        var s = try parse("redis+sentinel://:topsecret@a:1,b:2/m")
        s.sentinelPassword = "alsosecret"
        #expect(s.description == "redis+sentinel://:***@a:1,b:2/m")
        #expect(RedisAddress.redacting("redis://u:topsecret@h") == "redis://u:***@h")
        #expect(RedisAddress.redacting("redis://:top/se@cret@h/1") == "redis://:***@h/1")
        #expect(RedisAddress.redacting("redis://h:1") == "redis://h:1")
        // Errors about a URL that does not parse quote it redacted.
        for url in ["redis://u:topsecret@:1", "redis://:topsecret@h:99999", "rediss://:topsecret@h"] {
            #expect { try parse(url) } throws: { error in
                guard let error = error as? ConfigError else { return false }
                return !error.reason.contains("topsecret") && error.reason.contains("***@")
            }
        }
    }
}
