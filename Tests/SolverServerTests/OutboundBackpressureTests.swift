import Testing

@testable import SolverServer

/// The bounded outboxes, exercised without sockets (the waker has no context, so nothing is woken).
@Suite struct OutboundBackpressureTests {
    @Test func webSocketSendReportsOverflowThenClosed() {
        let connection = WebSocketConnection(
            id: 1, remoteAddress: "test", path: "/ws/solver", subprotocol: nil, maxQueuedBytes: 10,
            waker: TransportWaker())
        #expect(connection.send(text: "0123456789abc") == .enqueued)  // one oversize item through an empty queue
        #expect(connection.send(text: "x") == .overflow(queuedBytes: 13))
        connection.close(code: .policyViolation, reason: "slow consumer", discardingQueued: true)
        #expect(connection.queuedBytes == 0)
        #expect(connection.send(text: "x") == .closed)
        #expect(!connection.isOpen)
    }

    @Test func webSocketWritesQueuedFramesInPiecesThenTheClose() {
        let connection = WebSocketConnection(
            id: 1, remoteAddress: "test", path: "/", subprotocol: nil, maxQueuedBytes: 1 << 20, waker: TransportWaker())
        connection.send(text: "abcdefghij")
        connection.close(code: .goingAway)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        defer { buffer.deallocate() }
        var steps: [WebSocketConnection.WriteStep] = []
        while true {
            let step = connection.takeWrite(into: buffer)
            steps.append(step)
            if step == .idle || steps.count > 10 { break }
            if case .close = step { break }
        }
        #expect(steps == [
            .frame(count: 4, isText: true, isStart: true, isEnd: false, moreQueued: true),
            .frame(count: 4, isText: true, isStart: false, isEnd: false, moreQueued: true),
            .frame(count: 2, isText: true, isStart: false, isEnd: true, moreQueued: true),
            .close(code: .goingAway, reason: []),
        ])
    }

    @Test func webSocketPacksWholeFramesAndFragmentsOnlyWhatCannotFit() {
        let connection = WebSocketConnection(
            id: 1, remoteAddress: "test", path: "/", subprotocol: nil, maxQueuedBytes: 1 << 20, waker: TransportWaker())
        connection.send(text: "ab")
        connection.send(binary: [1, 2, 3])
        connection.send(text: String(repeating: "x", count: 200))
        connection.close(code: .goingAway)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        var writes: [[UInt8]] = []
        var step = connection.takeFrames(into: buffer)
        while case .frames(let count, _) = step, writes.count < 10 {
            writes.append(Array(buffer[..<count]))
            step = connection.takeFrames(into: buffer)
        }
        let x62 = [UInt8](repeating: UInt8(ascii: "x"), count: 62)
        let expected: [[UInt8]] = [
            [0x81, 2, 0x61, 0x62, 0x82, 3, 1, 2, 3],  // two whole messages; the third waits for an empty buffer
            [0x01, 62] + x62,  // then goes out as fragments, each a complete frame
            [0x00, 62] + x62,
            [0x00, 62] + x62,
            [0x80, 14] + x62[..<14],
        ]
        #expect(writes == expected)
        #expect(step == .close(code: .goingAway, reason: []))
        #expect(connection.takeFrames(into: buffer) == .idle)
    }

    @Test func frameHeaderLengths() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 1)
        defer { buffer.deallocate() }
        func header(_ count: Int, isEnd: Bool = true) -> [UInt8] {
            let size = WebSocketFrameHeader.write(into: buffer, payload: count, isText: true, isStart: true, isEnd: isEnd)
            return Array(buffer[..<size])
        }
        #expect(header(125) == [0x81, 125])
        #expect(header(126, isEnd: false) == [0x01, 126, 0, 126])
        #expect(header(65535) == [0x81, 126, 0xFF, 0xFF])
        #expect(header(65536) == [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    @Test func httpStreamIsBoundedAndOneShot() {
        let exchange = HTTPExchange(id: 1, isHTTP11: true, isHEAD: false, maxQueuedBytes: 64, waker: TransportWaker())
        let responder = HTTPResponder(exchange: exchange)
        let stream = responder.startStream(status: 200, headers: [("content-type", "application/x-ndjson")])
        #expect(stream != nil)
        #expect(responder.respond(status: 500) == false)
        #expect(responder.startStream(status: 200) == nil)
        #expect(stream?.send(String(repeating: "x", count: 100)) == .overflow(queuedBytes: exchange.queuedBytes))
        stream?.finish()
        #expect(stream?.send("late") == .closed)
    }

    @Test func onCloseRunsWhenTheClientLeavesEarly() {
        let exchange = HTTPExchange(id: 1, isHTTP11: true, isHEAD: false, maxQueuedBytes: 64, waker: TransportWaker())
        let calls = FailureCounter()
        HTTPResponder(exchange: exchange).onClose { calls.add() }
        exchange.markGone()
        exchange.markGone()
        #expect(calls.count == 1)
        HTTPResponder(exchange: exchange).onClose { calls.add() }  // registered late: runs at once
        #expect(calls.count == 2)
    }

    @Test func chunkFraming() {
        #expect(HTTPResponseHead.chunk(Array("hello".utf8)) == Array("5\r\nhello\r\n".utf8))
        #expect(HTTPResponseHead.chunk([]) == [])
        let head = String(decoding: HTTPResponseHead.serialize(
            status: 200, headers: [("X-A", "1\r\nevil: yes"), ("content-length", "99")], framing: .chunked,
            closeConnection: false), as: UTF8.self)
        #expect(head == "HTTP/1.1 200 OK\r\nX-A: 1evil: yes\r\ntransfer-encoding: chunked\r\n\r\n")
    }
}

/// Event frames stop at a bound that grows with the sessions a connection carries (16 KiB each, 256 KiB at most).
@Suite struct EventQueueBoundTests {
    private func queuedAtOverflow(subscriptions: Int) -> Int {
        let connection = WebSocketConnection(
            id: 1, remoteAddress: "test", path: "/ws/solver", subprotocol: nil, maxQueuedBytes: 8 << 20,
            waker: TransportWaker())
        let transport = WebSocketEventTransport(
            connection: connection, subscriptionsOnConnection: SubscriptionTally(subscriptions))
        let frame = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        for _ in 0..<1000 {
            if case .overflow(let queued) = transport.send(frame) { return queued }
        }
        return -1
    }

    @Test func theBoundGrowsWithTheSessionsOfTheConnectionUpToItsCap() {
        // Sends stop at the first 1,000-byte frame that finds the bound reached.
        func firstAtOrAbove(_ bound: Int) -> Int { (bound + 999) / 1000 * 1000 }
        #expect(queuedAtOverflow(subscriptions: 1) == firstAtOrAbove(16 * 1024))
        #expect(queuedAtOverflow(subscriptions: 4) == firstAtOrAbove(64 * 1024))
        #expect(queuedAtOverflow(subscriptions: 125) == firstAtOrAbove(256 * 1024))
    }
}
