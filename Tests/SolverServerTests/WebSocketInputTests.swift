import Testing

@testable import SolverServer

/// The WebSocket input the service loop reads itself (ServiceLoop+WebSocketInput): every ping answered, pongs ahead of
/// data written after them, the close handshake, and failures, over a real socket.
@Suite("WebSocket input read by the loop", .serialized)
struct WebSocketInputTests {
    /// libwebsockets 4.1.6 answered only the first of pings sent back to back (Autobahn 2.10).
    @Test func everyPingOfABurstGetsItsPong() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.send((0..<20).flatMap { clientFrame(9, Array("payload-\($0)".utf8)) })
            for index in 0..<20 {
                let frame = try client.readFrame()
                #expect(frame.opcode == 10)
                #expect(frame.text == "payload-\(index)")
            }
        }
    }

    /// Autobahn 5.6: a ping between two fragments is answered before the message's echo, every time.
    @Test func pongComesBeforeTheEchoOfTheMessageAroundThePing() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            for round in 0..<50 {
                try client.send(
                    clientFrame(1, Array("fragment1".utf8), fin: false) + clientFrame(9, Array("ping \(round)".utf8))
                        + clientFrame(0, Array("fragment2".utf8)))
                let pong = try client.readFrame()
                #expect(pong.opcode == 10 && pong.text == "ping \(round)")
                let echo = try client.readFrame()
                #expect(echo.opcode == 1 && echo.text == "fragment1fragment2")
            }
        }
    }

    /// The peer's close is answered with its code after what was already queued (Autobahn 7.1.1), then the server
    /// ends the TCP connection.
    @Test func peerCloseIsEchoedAfterQueuedMessages() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.send(clientFrame(1, Array("last words".utf8)) + clientFrame(8, [0x0F, 0xA0] + Array("bye".utf8)))
            #expect(try client.readFrame().text == "last words")
            let close = try client.readFrame()
            #expect(close.opcode == 8 && close.closeCode == 4000)
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func emptyCloseIsAnsweredWithAnEmptyClose() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.send(clientFrame(8, []))
            let close = try client.readFrame()
            #expect(close.opcode == 8 && close.payload.isEmpty)
            #expect(try client.isClosedByPeer())
        }
    }

    /// Autobahn 3.2: what was received before the violation is still answered, then the connection fails with 1002
    /// and nothing after the violation (the ping) is answered.
    @Test func protocolViolationClosesWith1002AfterEarlierEchoes() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            let hello = Array("hello".utf8)
            try client.send(clientFrame(1, hello) + clientFrame(1, hello, rsv: 0b010) + clientFrame(9, []))
            #expect(try client.readFrame().text == "hello")
            let close = try client.readFrame()
            #expect(close.opcode == 8 && close.closeCode == 1002)
            #expect(try client.isClosedByPeer())
        }
    }

    /// A failure closes the TCP connection right after the close frame: the stream may be garbage from there on.
    @Test func oversizedMessageClosesWith1009AndEndsTheConnection() async throws {
        try await withServer({ $0.maxMessageBytes = 100 }) { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.sendText(String(repeating: "x", count: 200))
            let close = try client.readFrame()
            #expect(close.opcode == 8 && close.closeCode == 1009)
            #expect(try client.isClosedByPeer())
        }
    }

    /// A close the server starts waits for the peer's close (RFC 6455 §7.1.2), which then ends the connection at
    /// once; the handler hears the code it closed with, the peer's code, or 1006 for a socket that just went away.
    @Test func closeHandshakesAndTheCodesTheHandlerHears() async throws {
        let handler = RecordingHandler()
        try await withServer(handler: handler) { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.sendText("close")
            let close = try client.readFrame()
            #expect(close.opcode == 8 && close.closeCode == 1008)
            #expect(!(try client.hasInput(within: .milliseconds(300))), "the server ended before the peer answered")
            try client.sendClose(code: 1000)
            #expect(try client.isClosedByPeer())

            let polite = try RawClient(port: port)
            #expect(try polite.upgrade().status == 101)
            try polite.sendClose(code: 4001)
            #expect(try polite.readFrame().closeCode == 4001)

            var abrupt: RawClient? = try RawClient(port: port)
            #expect(try abrupt!.upgrade().status == 101)
            abrupt = nil  // closes the socket without a close frame
            _ = abrupt
            #expect(handler.waitForCodes(count: 3) == [1008, 4001, 1006])
        }
    }
}

/// Echoes text, closes with 1008 when told "close", and records every close code it is told.
private final class RecordingHandler: TransportHandler, Sendable {
    private let codes = Mutex<[UInt16]>([])

    func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        responder.respond(status: 404, headers: [], body: "")
    }
    func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision { .accept }
    func webSocketDidOpen(_ connection: WebSocketConnection) {}
    func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        if text == "close" { connection.close(.slowConsumer) } else { connection.send(text: text) }
    }
    func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {
        codes.withLock { $0.append(code.rawValue) }
    }

    /// The recorded codes once there are `count` of them (or after 3 s).
    func waitForCodes(count: Int) -> [UInt16] {
        let deadline = ContinuousClock.now + .seconds(3)
        while codes.withLock({ $0.count }) < count && ContinuousClock.now < deadline { usleep(10_000) }
        return codes.withLock { $0 }
    }
}

import Glibc
import Synchronization
