import SolverSecurity
import SolverWire
import Testing

@testable import SolverServer

/// Origin, Host and Content-Type checks in process (Tests/e2e/test_browser_policy.py drives a real browser).
@Suite("Browser policy: Origin, Host, Content-Type")
struct BrowserPolicyTests {
    static let own = [("host", "localhost:3000"), ("origin", "http://localhost:3000")]
    static let foreign = [("host", "localhost:3000"), ("origin", "https://evil.example")]

    static func app(origins: [String] = [], hosts: [String] = [], loopbackBind: Bool = true) -> TestApp {
        TestApp(AppOptions(configure: {
            $0.originPolicy = OriginPolicy(allowedOrigins: origins, allowedHosts: hosts, loopbackBind: loopbackBind)
        }))
    }

    @Test func foreignOriginIsRefusedEverywhereByDefault() async throws {
        let app = Self.app()
        let preflight = try await app.request("OPTIONS", "/api/v1/sessions", headers: Self.foreign + [
            ("access-control-request-method", "POST"), ("access-control-request-headers", "content-type")])
        expectError(preflight, 403, "origin_not_allowed")
        #expect(preflight.headers["access-control-allow-origin"] == nil)
        expectError(try await app.request("GET", "/api/v1/sessions", headers: Self.foreign), 403, "origin_not_allowed")
        expectError(try await app.request("POST", "/api/v1/sessions", headers: Self.foreign,
                                          body: jsonBytes(TinySystem.request())), 403, "origin_not_allowed")
        guard case .reject(let status, _, let body) = app.upgrade(headers: Self.foreign) else {
            Issue.record("a WebSocket upgrade from a foreign origin was accepted")
            return
        }
        #expect(status == 403)
        #expect(String(decoding: body, as: UTF8.self).contains("origin_not_allowed"))
        #expect(app.registry.count == 0)
    }

    @Test(arguments: ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"])
    func ownOriginWorksUnderEachLoopbackName(origin: String) async throws {
        let app = Self.app()
        for host in ["localhost:3000", "127.0.0.1:3000", "[::1]:3000"] {
            let headers = [("host", host), ("origin", origin)]
            let created = try await app.request("POST", "/api/v1/sessions", headers: headers, body: jsonBytes(TinySystem.request()))
            #expect(created.status == 201, "\(created)")
            #expect(created.headers["access-control-allow-origin"] == nil, "same-origin needs no CORS headers")
            guard case .accept = app.upgrade(headers: headers) else {
                Issue.record("the dashboard's own WebSocket was refused: \(headers)")
                continue
            }
        }
    }

    @Test func anotherPortOnLoopbackIsAnotherOrigin() async throws {
        let app = Self.app()
        let response = try await app.request("GET", "/api/v1/sessions", headers: [("host", "localhost:3000"),
                                                                                   ("origin", "http://localhost:8080")])
        expectError(response, 403, "origin_not_allowed")
    }

    @Test func configuredOriginsGetCORSHeaders() async throws {
        let app = Self.app(origins: ["https://app.example", "http://localhost:*"])
        let preflight = try await app.request("OPTIONS", "/api/v1/sessions", headers: [
            ("host", "localhost:3000"), ("origin", "https://app.example"), ("access-control-request-headers", "content-type")])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == "https://app.example")
        #expect(preflight.headers["access-control-allow-methods"] == "GET, POST, DELETE, OPTIONS")
        #expect(preflight.headers["access-control-allow-headers"] == "content-type")
        #expect(preflight.headers["vary"] == "Origin")
        let anyPort = try await app.request("GET", "/api/v1/sessions", headers: [("host", "localhost:3000"),
                                                                                  ("origin", "http://localhost:5173")])
        #expect(anyPort.status == 200)
        #expect(anyPort.headers["access-control-allow-origin"] == "http://localhost:5173")
        expectError(try await app.request("GET", "/api/v1/sessions", headers: [("host", "localhost:3000"),
                                                                                ("origin", "http://app.example")]),
                    403, "origin_not_allowed")
    }

    @Test func wildcardAllowsAnyOriginExplicitly() async throws {
        let app = Self.app(origins: ["*"])
        let response = try await app.request("GET", "/api/v1/sessions", headers: Self.foreign)
        #expect(response.status == 200)
        #expect(response.headers["access-control-allow-origin"] == "*")
        guard case .accept = app.upgrade(headers: Self.foreign) else {
            Issue.record("cors_origins [\"*\"] must admit any origin's WebSocket")
            return
        }
    }

    @Test(arguments: ["attacker.example:3000", "attacker.example", "10.0.0.5:3000", "localhost.attacker.example:3000"])
    func foreignHostIsRefusedOnALoopbackBind(host: String) async throws {
        let app = Self.app()
        for path in ["/health", "/api/v1/sessions", "/", "/metrics"] {
            expectError(try await app.request("GET", path, headers: [("host", host)]), 421, "host_not_allowed")
        }
        guard case .reject(let status, _, _) = app.upgrade(headers: [("host", host)]) else {
            Issue.record("a WebSocket upgrade with Host \(host) was accepted on a loopback bind")
            return
        }
        #expect(status == 421)
    }

    @Test func hostRulesOffLoopbackAndWithAllowedHosts() async throws {
        let open = Self.app(loopbackBind: false)
        #expect(try await open.request("GET", "/health", headers: [("host", "solver.example:3000")]).status == 200)
        let proxied = Self.app(hosts: ["solver.example", ".corp.example"])
        #expect(try await proxied.request("GET", "/health", headers: [("host", "solver.example")]).status == 200)
        #expect(try await proxied.request("GET", "/health", headers: [("host", "a.corp.example:443")]).status == 200)
        #expect(try await proxied.request("GET", "/health", headers: [("host", "localhost:3000")]).status == 200)
        expectError(try await proxied.request("GET", "/health", headers: [("host", "evil.example")]), 421, "host_not_allowed")
        expectError(try await proxied.request("GET", "/health", headers: [("host", "corp.example.evil.example")]),
                    421, "host_not_allowed")
    }

    @Test func requestsWithoutHostOrOriginPass() async throws {
        // curl, websocat and Python send no Origin; an HTTP/1.0 client may send no Host.
        let app = Self.app()
        #expect(try await app.get("/health").status == 200)
        guard case .accept = app.upgrade() else { Issue.record("a non-browser upgrade was refused"); return }
    }

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx"])
    func bodiesMustBeJSON(contentType: String) async throws {
        let app = Self.app()
        let body = jsonBytes(TinySystem.request())
        let headers = contentType.isEmpty ? [("content-type", "")] : [("content-type", contentType)]
        for path in ["/api/v1/sessions", "/api/v1/solve-stream", "/api/v1/swarm/costs", "/api/v1/verify"] {
            expectError(try await app.request("POST", path, headers: headers, body: body), 415, "unsupported_media_type")
        }
        #expect(app.registry.count == 0)
    }

    @Test func jsonWithParametersIsAccepted() async throws {
        let app = Self.app()
        let response = try await app.request("POST", "/api/v1/sessions", headers: [("content-type", "Application/JSON; charset=utf-8")],
                                             body: jsonBytes(TinySystem.request()))
        #expect(response.status == 201, "\(response)")
    }
}
