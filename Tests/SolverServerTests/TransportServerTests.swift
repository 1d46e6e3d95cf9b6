import Dispatch
import Testing

@testable import SolverServer

/// Starts a server on an ephemeral port for one test body and always shuts it down.
func withServer(
    _ configure: (inout TransportConfiguration) -> Void = { _ in }, handler: any TransportHandler = EchoHandler(),
    _ body: (Int) throws -> Void
) async throws {
    var configuration = TransportConfiguration()
    configure(&configuration)
    let server = TransportServer(configuration: configuration, handler: handler)
    try server.start()
    let port = try #require(server.port)
    #expect(port > 0)
    defer { _ = server }
    do {
        try body(port)
    } catch {
        await server.shutdown(deadline: .now + .seconds(2))
        throw error
    }
    await server.shutdown(deadline: .now + .seconds(2))
}

@Suite("TransportServer over raw sockets", .serialized)
struct TransportServerTests {
    @Test func getEchoDescribesTheRequest() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            let response = try client.request("GET", "/echo?a=1&b=two%20words", headers: [("authorization", "Bearer t")])
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.text.contains(#""path":"/echo""#))
            #expect(response.text.contains(#"["a","1"]"#))
            #expect(response.text.contains(#"["b","two words"]"#))
            #expect(response.text.contains(#""authorization":"Bearer t""#))
            #expect(response.text.contains(#""remote_address":"127.0.0.1""#))
        }
    }

    @Test func postEchoesBodiesOnOneKeepAliveConnection() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for body in [Array("hello".utf8), large, []] {
                let response = try client.request("POST", "/echo", headers: [("content-type", "text/plain")], body: body)
                #expect(response.status == 200)
                #expect(response.body == body)
            }
        }
    }

    @Test func oversizedBodyGets413() async throws {
        try await withServer({ $0.maxBodyBytes = 1024 }) { port in
            let client = try RawClient(port: port)
            let response = try client.request("POST", "/echo", body: [UInt8](repeating: 65, count: 4096))
            #expect(response.status == 413)
            #expect(response.text.contains(#""code":"payload_too_large""#))
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func unknownRouteIs404() async throws {
        try await withServer { port in
            let response = try RawClient(port: port).request("GET", "/nope")
            #expect(response.status == 404)
            #expect(response.text == #"{"error":{"code":"not_found","message":"no route"}}"#)
        }
    }

    /// The transport's own refusals use registry codes and the API's error envelope.
    @Test func bodyWithoutLengthGets411() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("PUT /echo HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 411)
            #expect(response.headers["content-type"] == "application/json")
            #expect(
                response.text
                    == #"{"error":{"code":"length_required","message":"a content-length header or chunked transfer-encoding is required"}}"#
            )
        }
    }

    /// lws hands over the raw chunk framing; the transport decodes it and ends lws' body so keep-alive holds.
    @Test func chunkedRequestBodyIsDecodedAndKeepsTheConnection() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send(
                "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nexpect: 100-continue\r\n\r\n")
            #expect(try client.readHead().status == 100)
            try client.send("6;ext=1\r\nchunky\r\n5\r\n body\r\n0\r\ntrailer: yes\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "chunky body")
            #expect(response.headers["connection"] == nil)
            #expect(try client.request("POST", "/echo", body: Array("next".utf8)).text == "next")
        }
    }

    @Test func chunkedRequestBodyOverTheLimitIsRefusedBeforeItEnds() async throws {
        try await withServer({ $0.maxBodyBytes = 1000 }) { port in
            let client = try RawClient(port: port)
            try client.send("PUT /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
            try client.send("258\r\n" + String(repeating: "a", count: 600) + "\r\n")
            try client.send("258\r\n" + String(repeating: "b", count: 600) + "\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.text.contains(#""code":"payload_too_large""#))
            #expect(try client.isClosedByPeer())
        }
    }

    @Test func chunkedStreamIsReadIncrementallyAndKeepsTheConnection() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            try client.send("GET /stream?n=200 HTTP/1.1\r\nhost: x\r\n\r\n")
            let (status, headers) = try client.readHead()
            #expect(status == 200)
            #expect(headers["transfer-encoding"] == "chunked")
            #expect(headers["content-length"] == nil)
            var lines: [String] = []
            while let chunk = try client.readChunk() {
                lines.append(String(decoding: chunk, as: UTF8.self))
            }
            #expect(lines == (0..<200).map { "{\"line\":\($0)}\n" })
            let again = try client.request("GET", "/echo")
            #expect(again.status == 200)
        }
    }

    @Test func webSocketEchoAndCloseHandshake() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            let (status, headers) = try client.upgrade()
            #expect(status == 101)
            #expect(headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            for message in ["hello", "", String(repeating: "é", count: 70_000)] {
                try client.sendText(message)
                let frame = try client.readMessageFrame()
                #expect(frame.opcode == 1 && frame.fin)
                #expect(frame.text == message)
            }
            try client.sendFrame(opcode: 2, payload: [0, 1, 2, 255])
            let binary = try client.readMessageFrame()
            #expect(binary.opcode == 2 && binary.payload == [0, 1, 2, 255])
            try client.sendClose(code: 1000)
            let close = try client.readMessageFrame()
            #expect(close.opcode == 8)
            #expect(close.closeCode == 1000)
        }
    }

    @Test func fragmentedMessageIsReassembled() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.sendFrame(opcode: 1, payload: Array("frag".utf8), fin: false)
            try client.sendFrame(opcode: 9, payload: [7])  // a control frame may interleave
            try client.sendFrame(opcode: 0, payload: Array("men".utf8), fin: false)
            try client.sendFrame(opcode: 0, payload: Array("ted".utf8), fin: true)
            var frame = try client.readFrame()
            if frame.opcode == 10 { frame = try client.readFrame() }
            #expect(frame.opcode == 1)
            #expect(frame.text == "fragmented")
        }
    }

    @Test func invalidUTF8Closes1007AndOversizeCloses1009() async throws {
        try await withServer({ $0.maxMessageBytes = 1000 }) { port in
            let bad = try RawClient(port: port)
            #expect(try bad.upgrade().status == 101)
            try bad.sendFrame(opcode: 1, payload: [0x68, 0xC3, 0x28])
            let close1007 = try bad.readMessageFrame()
            #expect(close1007.opcode == 8 && close1007.closeCode == 1007)

            let big = try RawClient(port: port)
            #expect(try big.upgrade().status == 101)
            try big.sendFrame(opcode: 1, payload: [UInt8](repeating: 97, count: 600), fin: false)
            try big.sendFrame(opcode: 0, payload: [UInt8](repeating: 97, count: 600), fin: true)
            let close1009 = try big.readMessageFrame()
            #expect(close1009.opcode == 8 && close1009.closeCode == 1009)
        }
    }

    @Test func refusedUpgradesGetHTTPStatuses() async throws {
        try await withServer(handler: EchoHandler(requiredAuthorization: "Bearer good")) { port in
            let wrongPath = try RawClient(port: port).upgrade(path: "/ws/other", headers: [("authorization", "Bearer good")])
            #expect(wrongPath.status == 404)
            let unauthorized = try RawClient(port: port).upgrade(headers: [("authorization", "Bearer bad")])
            #expect(unauthorized.status == 401)
            let unknownProtocol = try RawClient(port: port).upgrade(
                headers: [("authorization", "Bearer good"), ("sec-websocket-protocol", "nope.v9")])
            #expect(unknownProtocol.status == 400)
            let accepted = try RawClient(port: port).upgrade(headers: [("authorization", "Bearer good")])
            #expect(accepted.status == 101)
        }
    }

    @Test func subprotocolIsNegotiated() async throws {
        try await withServer({ $0.webSocketSubprotocols = ["solver.v1"] }) { port in
            let client = try RawClient(port: port)
            let (status, headers) = try client.upgrade(headers: [("sec-websocket-protocol", "bearer.x, solver.v1")])
            #expect(status == 101)
            #expect(headers["sec-websocket-protocol"] == "solver.v1")
            try client.sendText("ping")
            #expect(try client.readMessageFrame().text == "ping")
        }
    }

    @Test func concurrentClients() async throws {
        try await withServer { port in
            let failures = FailureCounter()
            DispatchQueue.concurrentPerform(iterations: 16) { index in
                do {
                    let client = try RawClient(port: port)
                    if index % 2 == 0 {
                        guard try client.upgrade().status == 101 else { return failures.add() }
                        for message in 0..<50 {
                            try client.sendText("client \(index) message \(message)")
                            if try client.readMessageFrame().text != "client \(index) message \(message)" { failures.add() }
                        }
                        try client.sendClose()
                    } else {
                        for _ in 0..<20 {
                            let body = Array("body \(index)".utf8)
                            if try client.request("POST", "/echo", body: body).body != body { failures.add() }
                        }
                    }
                } catch {
                    failures.add()
                }
            }
            #expect(failures.count == 0)
        }
    }

    @Test func portInUseFailsClearly() async throws {
        try await withServer { port in
            var configuration = TransportConfiguration()
            configuration.port = port
            let second = TransportServer(configuration: configuration, handler: EchoHandler())
            #expect(throws: TransportError.bindFailed(host: "127.0.0.1", port: port)) { try second.start() }
        }
    }

    @Test func shutdownClosesWebSocketsWith1001() async throws {
        let server = TransportServer(handler: EchoHandler())
        try server.start()
        let client = try RawClient(port: try #require(server.port))
        #expect(try client.upgrade().status == 101)
        // Draining starts synchronously: the blocking read below must not wait for a Task that needs a cooperative
        // thread (the pool has one per core, and other suites may hold them).
        server.beginDraining()
        let close = try client.readMessageFrame()
        #expect(close.opcode == 8 && close.closeCode == 1001)
        #expect(String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "draining")
        try client.sendClose(code: 1001)
        await server.shutdown(deadline: .now + .seconds(3))
        #expect(try client.isClosedByPeer())
    }
}

/// Counts failures from concurrently running client threads.
final class FailureCounter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

import Synchronization
