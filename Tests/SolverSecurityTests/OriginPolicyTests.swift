import Testing

@testable import SolverSecurity

@Suite struct OriginPolicyTests {
    @Test(arguments: ["localhost", "LOCALHOST.", "app.localhost", "127.0.0.1", "127.255.0.9", "::1", "[::1]",
                      "0:0:0:0:0:0:0:1", "[::1%lo]", "::ffff:127.0.0.1", "[0::0001]"])
    func loopbackNames(host: String) {
        #expect(Loopback.isLoopback(host))
    }

    @Test(arguments: ["localhost.evil.example", "evil.example", "127.0.0.1.evil.example", "128.0.0.1", "0.0.0.0",
                      "::", "::2", "1::1", "::ffff:10.0.0.1", "127.0.0", "127.0.0.256", "[::1", "1:2:3:4:5:6:7:8:9", ""])
    func notLoopback(host: String) {
        #expect(!Loopback.isLoopback(host))
    }

    @Test func authorityHostPart() {
        #expect(Loopback.hostPart(ofAuthority: "localhost:3000") == "localhost")
        #expect(Loopback.hostPart(ofAuthority: "[::1]:3000") == "[::1]")
        #expect(Loopback.hostPart(ofAuthority: "[::1]") == "[::1]")
        #expect(Loopback.hostPart(ofAuthority: "example.com") == "example.com")
        #expect(Loopback.hostPart(ofAuthority: "a:b:c") == nil)
        #expect(Loopback.hostPart(ofAuthority: "host:port") == nil)
        #expect(Loopback.hostPart(ofAuthority: ":3000") == nil)
    }

    @Test func verdicts() {
        let policy = OriginPolicy(allowedOrigins: ["https://app.example", "http://localhost:*", "null"])
        #expect(policy.check(host: "localhost:3000", origin: nil) == .success(.noOrigin))
        #expect(policy.check(host: nil, origin: nil) == .success(.noOrigin))
        #expect(policy.check(host: "127.0.0.1:3000", origin: "http://localhost:3000") == .success(.sameOrigin))
        #expect(policy.check(host: "LocalHost:3000", origin: "http://localhost:3000") == .success(.sameOrigin))
        #expect(policy.check(host: "localhost", origin: "http://localhost:80") == .success(.sameOrigin))
        #expect(policy.check(host: "localhost:3000", origin: "https://app.example")
                == .success(.allowedCrossOrigin(allowOrigin: "https://app.example")))
        #expect(policy.check(host: "localhost:3000", origin: "https://app.example:443")
                == .success(.allowedCrossOrigin(allowOrigin: "https://app.example:443")))
        #expect(policy.check(host: "localhost:3000", origin: "http://localhost:9")
                == .success(.allowedCrossOrigin(allowOrigin: "http://localhost:9")))
        #expect(policy.check(host: "localhost:3000", origin: "null") == .success(.allowedCrossOrigin(allowOrigin: "null")))
        #expect(policy.check(host: "localhost:3000", origin: "http://app.example") == .failure(.origin("http://app.example")))
        #expect(policy.check(host: "localhost:3000", origin: "https://app.example.evil") == .failure(.origin("https://app.example.evil")))
        #expect(policy.check(host: "evil.example:3000", origin: "http://evil.example:3000") == .failure(.host("evil.example:3000")))
        #expect(OriginPolicy().check(host: "localhost:3000", origin: "null") == .failure(.origin("null")))
    }

    @Test func configEntries() {
        for good in ["*", "null", "https://app.example", "http://localhost:*", "http://[::1]:8080"] {
            #expect(OriginPolicy.problem(withOrigin: good) == nil, "\(good)")
        }
        for bad in ["app.example", "https://app.example/", "ftp://x", "https://", "http://a:b"] {
            #expect(OriginPolicy.problem(withOrigin: bad) != nil, "\(bad)")
        }
        #expect(OriginPolicy.problem(withHost: "solver.example") == nil)
        #expect(OriginPolicy.problem(withHost: ".example") == nil)
        #expect(OriginPolicy.problem(withHost: "https://solver.example") != nil)
        #expect(OriginPolicy.problem(withHost: "solver.example:443") != nil)
    }
}
