import SolverSecurity
import SolverWire
import Testing

@testable import SolverServer

/// Credentials, session ownership, sharing, admins and the request budget (Tests/e2e/test_security.py and
/// test_limits_metrics.py over sockets).
@Suite("SolverService authentication and authorization")
struct AuthTests {
    typealias Token = TestCredentials

    func expectRefusal(_ response: TestResponse, _ status: Int, _ code: String, _ context: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(context): \(response)", sourceLocation: sourceLocation)
        #expect(response.error?["code"]?.string == code, "\(context): \(response)", sourceLocation: sourceLocation)
    }

    @Test func missingOrWrongCredentialsAre401WithAChallenge() async throws {
        let app = try await TestApp.secured()
        let missing = try await app.get("/api/v1/sessions")
        expectRefusal(missing, 401, "unauthorized")
        #expect(missing.headers["www-authenticate"] == "Bearer realm=\"solverd\"")
        let wrong = try await app.get("/api/v1/sessions", token: "not-a-known-token")
        expectRefusal(wrong, 401, "unauthorized")
        #expect(wrong.headers["www-authenticate"]?.hasPrefix("Bearer realm=\"solverd\", error=\"invalid_token\"") == true)
        #expect(!wrong.text.contains("static-token"))
        let basic = try await app.request("GET", "/api/v1/sessions", headers: [("authorization", "Basic YWxpY2U6eA==")])
        expectRefusal(basic, 401, "unauthorized")
        // Health stays public.
        #expect(try await app.get("/health").status == 200)
    }

    @Test func staticTokensJWTsAndTheQueryParameterAuthenticate() async throws {
        let app = try await TestApp.secured()
        #expect(try await app.get("/api/v1/sessions", token: Token.alice).status == 200)
        #expect(try await app.get("/api/v1/sessions", token: try await Token.jwt("carol")).status == 200)
        #expect(try await app.get("/api/v1/sessions?access_token=\(Token.bob)").status == 200)
    }

    @Test func anotherPrincipalsSessionIsForbidden() async throws {
        let app = try await TestApp.secured()
        let id = try await app.createSession(token: Token.alice)
        #expect(try await app.get("/api/v1/sessions/\(id)", token: Token.alice).json["owner"]?.string == "alice")
        for path in ["/api/v1/sessions/\(id)", "/api/v1/sessions/\(id)/solution", "/api/v1/status/\(id)",
                     "/api/v1/sessions/\(id)/events"] {
            let response = try await app.get(path, token: Token.bob)
            expectRefusal(response, 403, "forbidden", path)
            #expect(response.error?["field"]?.string == "session_id")
        }
        expectRefusal(try await app.post("/api/v1/verify", ["session_id": id], token: Token.bob), 403, "forbidden")
        expectRefusal(try await app.post("/api/v1/swarm/costs", ["session_id": id, "delta_costs": ["indices": [0], "values": [1]]],
                                         token: Token.bob), 403, "forbidden")
        expectRefusal(try await app.delete("/api/v1/sessions/\(id)", token: Token.bob), 403, "forbidden")
        #expect(try await app.get("/api/v1/sessions", token: Token.bob).json["count"]?.int == 0)
        #expect(try await app.delete("/api/v1/sessions/\(id)", token: Token.alice).status == 200)
    }

    @Test func theShareListGrantsAccess() async throws {
        let app = try await TestApp.secured()
        let id = try await app.createSession(TinySystem.request(extra: ["share": ["bob", "carol"]]), token: Token.alice)
        #expect(try await app.get("/api/v1/sessions/\(id)", token: Token.bob).status == 200)
        #expect(try await app.get("/api/v1/sessions/\(id)/solution", token: try await Token.jwt("carol")).status == 200)
        expectRefusal(try await app.get("/api/v1/sessions/\(id)", token: try await Token.jwt("dave")), 403, "forbidden")
        let listed = try await app.get("/api/v1/sessions", token: Token.bob)
        #expect(listed.json["sessions"]?.arrayElements?.compactMap { $0["session_id"]?.string } == [id])
        let bad = try await app.post("/api/v1/sessions", TinySystem.request(extra: ["share": "bob"]), token: Token.alice)
        expectRefusal(bad, 400, "invalid_type")
        #expect(bad.error?["field"]?.string == "share")
    }

    @Test func adminsSeeAndUseEverySession() async throws {
        let app = try await TestApp.secured()
        let alices = try await app.createSession(token: Token.alice)
        let bobs = try await app.createSession(token: Token.bob)
        let listed = try await app.get("/api/v1/sessions", token: Token.root)
        #expect(listed.json["sessions"]?.arrayElements?.compactMap { $0["session_id"]?.string } == [alices, bobs])
        #expect(try await app.get("/api/v1/sessions/\(alices)", token: Token.root).status == 200)
        #expect(try await app.get("/api/v1/sessions/\(bobs)", token: try await Token.jwt("eve", roles: ["admin"])).status == 200)
        #expect(try await app.delete("/api/v1/sessions/\(bobs)", token: Token.root).status == 200)
    }

    @Test func overTheRequestBudgetIs429WithRetryAfter() async throws {
        var options = AppOptions()
        // Three requests per hour from one address: the fourth waits 1200 s for a token.
        options.limits.ipRequests = 3
        options.limits.ipWindowSeconds = 3600
        let app = try await TestApp.secured(options)
        for k in 0..<3 { #expect(try await app.get("/api/v1/sessions", token: Token.alice).status == 200, "request \(k)") }
        let limited = try await app.get("/api/v1/sessions", token: Token.alice)
        expectRefusal(limited, 429, "rate_limited")
        #expect(limited.headers["retry-after"] == "1200")
        // The budget is per address, but health is not metered.
        #expect(try await app.get("/health").status == 200)
    }

    @Test func webSocketUpgradeNeedsCredentials() async throws {
        let app = try await TestApp.secured()
        guard case .reject(let status, let headers, let body) = app.upgrade() else {
            Issue.record("an upgrade without credentials was accepted")
            return
        }
        #expect(status == 401)
        #expect(headers.first { $0.0 == "www-authenticate" }?.1 == "Bearer realm=\"solverd\"")
        #expect(try JSONReader.parse(body)["error"]?["code"]?.string == "unauthorized")
        guard case .accept = app.upgrade(headers: [("sec-websocket-protocol", "solverd, bearer.\(Token.alice)")]) else {
            Issue.record("the subprotocol token was refused")
            return
        }
    }

    @Test func webSocketMessagesOnForeignSessionsAreForbidden() async throws {
        let app = try await TestApp.secured()
        let id = try await app.createSession(token: Token.alice)
        let ws = try app.connect(token: Token.bob)
        for (k, message) in ([
            ["type": "subscribe", "session_id": id],
            ["type": "cost_update", "session_id": id, "delta_costs": ["indices": [0], "values": [1]]],
            ["type": "verify", "session_id": id],
        ] as [[String: Any]]).enumerated() {
            var withID = message
            withID["id"] = "m\(k)"
            ws.send(json: withID)
            let reply = try await ws.next()
            #expect(reply.type == "error" && reply["code"]?.string == "forbidden", "\(reply)")
            #expect(reply["ref"]?.string == "m\(k)")
        }
    }
}
