import Testing

@testable import SolverServer

/// `EchoEndpoint` (behind `solverd serve --echo-endpoint`): `/ws/echo` echoes, every other path keeps its handler.
@Suite("EchoEndpoint routing", .serialized)
struct EchoEndpointTests {
    /// Stands in for the solver: answers text in upper case and keeps the default binary refusal (close 1003).
    struct ShoutHandler: TransportHandler {
        func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
            responder.respond(status: 418, headers: [], body: "")
        }
        func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision { .accept }
        func webSocketDidOpen(_ connection: WebSocketConnection) {}
        func webSocketDidReceive(_ connection: WebSocketConnection, text: String) { connection.send(text: text.uppercased()) }
        func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {}
    }

    @Test func configureAddsThePathAndRaisesLimits() {
        var transport = TransportConfiguration()
        transport.maxMessageBytes = 1024
        transport.maxQueuedBytesPerConnection = 1024
        EchoEndpoint(base: ShoutHandler()).configure(&transport)
        #expect(transport.webSocketPaths == ["/ws/solver", "/ws/echo"])
        #expect(transport.maxMessageBytes >= 16 * 1024 * 1024)
        #expect(transport.maxQueuedBytesPerConnection > 2 * 16 * 1024 * 1024)
    }

    @Test func routesByPath() async throws {
        let endpoint = EchoEndpoint(base: ShoutHandler())
        try await withServer({ endpoint.configure(&$0) }, handler: endpoint) { port in
            let echo = try RawClient(port: port)
            #expect(try echo.upgrade(path: "/ws/echo").status == 101)
            try echo.sendText("quiet")
            #expect(try echo.readMessageFrame().text == "quiet")
            try echo.sendFrame(opcode: 2, payload: [1, 2, 3])
            #expect(try echo.readMessageFrame().payload == [1, 2, 3])

            let solver = try RawClient(port: port)
            #expect(try solver.upgrade(path: "/ws/solver").status == 101)
            try solver.sendText("quiet")
            #expect(try solver.readMessageFrame().text == "QUIET")
            try solver.sendFrame(opcode: 2, payload: [1])
            let refused = try solver.readMessageFrame()
            #expect(refused.opcode == 8 && refused.closeCode == 1003)

            let http = try RawClient(port: port)
            #expect(try http.request("GET", "/echo").status == 418)
        }
    }
}
