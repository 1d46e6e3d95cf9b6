import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SolverServer

/// Records which service thread served each connection, and answers every message with the connection's id.
private final class ThreadRecordingHandler: TransportHandler, Sendable {
    private struct State {
        var threadOfConnection: [UInt64: UInt] = [:]
        var mismatches = 0
        var open: [WebSocketConnection] = []
        var shutdowns = 0
    }
    private let state = Mutex(State())

    private static var currentThread: UInt { UInt(bitPattern: Int(bitPattern: pthread_self())) }

    var threads: [UInt64: UInt] { state.withLock { $0.threadOfConnection } }
    var mismatches: Int { state.withLock { $0.mismatches } }
    var shutdowns: Int { state.withLock { $0.shutdowns } }

    func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        responder.respond(status: 200, headers: [("content-type", "text/plain")], body: Array("ok".utf8))
    }

    func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision { .accept }

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        state.withLock {
            $0.threadOfConnection[connection.id] = Self.currentThread
            $0.open.append(connection)
        }
    }

    func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        state.withLock { if $0.threadOfConnection[connection.id] != Self.currentThread { $0.mismatches += 1 } }
        connection.send(text: "\(connection.id)")
    }

    func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {
        state.withLock { $0.open.removeAll { $0 === connection } }
    }

    /// Queues a last frame on every connection, whichever thread serves it.
    func transportWillShutDown() {
        let open = state.withLock { s in
            s.shutdowns += 1
            return s.open
        }
        for connection in open { connection.send(text: "bye") }
    }
}

/// A server with several lws service threads on one port: its own listener, connections dealt out in turn, one
/// drain across the threads.
@Suite("Several service threads", .serialized)
struct ServiceThreadsTests {
    private func withThreads(
        _ threads: Int, handler: any TransportHandler, _ body: (TransportServer, Int) async throws -> Void
    ) async throws {
        var configuration = TransportConfiguration()
        configuration.serviceThreads = threads
        let server = TransportServer(configuration: configuration, handler: handler)
        try server.start()
        let port = try #require(server.port)
        do {
            try await body(server, port)
        } catch {
            await server.shutdown(deadline: .now + .seconds(2))
            throw error
        }
        await server.shutdown(deadline: .now + .seconds(2))
    }

    /// `count` WebSocket clients, opened one after another (each upgraded before the next connects).
    private func upgradedClients(_ count: Int, port: Int) throws -> [RawClient] {
        try (0..<count).map { _ in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            return client
        }
    }

    @Test func connectionsAreDealtToEveryThreadInTurnAndStayThere() async throws {
        let handler = ThreadRecordingHandler()
        try await withThreads(2, handler: handler) { _, port in
            let clients = try upgradedClients(6, port: port)
            var ids: Set<String> = []
            for round in 0..<3 {
                for client in clients {
                    try client.sendText("round \(round)")
                    ids.insert(try client.readMessageFrame().text)
                }
            }
            #expect(ids.count == 6)  // ids are unique across the threads
            let perThread = Dictionary(grouping: handler.threads.values, by: { $0 }).mapValues(\.count)
            #expect(perThread.count == 2 && perThread.values.allSatisfy { $0 == 3 })
            #expect(handler.mismatches == 0)
            for client in clients { try client.sendClose() }
        }
    }

    @Test func httpIsServedByEveryThread() async throws {
        try await withThreads(2, handler: ThreadRecordingHandler()) { _, port in
            for _ in 0..<4 {
                let client = try RawClient(port: port)
                for _ in 0..<3 {
                    let response = try client.request("GET", "/anything")
                    #expect(response.status == 200 && response.text == "ok")
                }
            }
        }
    }

    @Test func aDrainSendsTheHandlersLastFramesThenClosesEveryThreadsConnections() async throws {
        let handler = ThreadRecordingHandler()
        try await withThreads(2, handler: handler) { server, port in
            let clients = try upgradedClients(4, port: port)
            #expect(Set(handler.threads.values).count == 2)
            server.beginDraining()
            for client in clients {
                #expect(try client.readMessageFrame().text == "bye")
                let close = try client.readMessageFrame()
                #expect(close.opcode == 8 && close.closeCode == 1001)
                try client.sendClose(code: 1001)
            }
            await server.shutdown(deadline: .now + .seconds(3))
            for client in clients { #expect(try client.isClosedByPeer()) }
            #expect(handler.shutdowns == 1)
        }
    }

    @Test(arguments: [1, 2])
    func aSecondServerOnTheSamePortFails(threads: Int) async throws {
        try await withThreads(2, handler: EchoHandler()) { _, port in
            var configuration = TransportConfiguration()
            configuration.port = port
            configuration.serviceThreads = threads
            let second = TransportServer(configuration: configuration, handler: EchoHandler())
            #expect(throws: TransportError.bindFailed(host: "127.0.0.1", port: port)) { try second.start() }
        }
    }
}
