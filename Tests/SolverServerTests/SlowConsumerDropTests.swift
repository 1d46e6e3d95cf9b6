import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing

@testable import SolverServer

/// Dropping a slow consumer (`close(code:reason:discardingQueued: true)`) over real sockets: a peer that still
/// reads gets the 1008 close frame; a peer that stopped reading (its kernel backlog is far beyond what a close frame
/// could overtake) is reset at once instead of being left open with the close frame stuck behind the backlog.
@Suite("Dropping slow consumers", .serialized)
struct SlowConsumerDropTests {
    /// "flood": sends 1 KiB messages until the outbox has stayed full for a while (the kernel stopped taking data),
    /// then drops the connection. "drop": drops it at once (nothing is queued).
    final class DropHandler: TransportHandler {
        let dropped = Atomic<Bool>(false)
        private let queue = DispatchQueue(label: "solverd.test.flood")

        func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) { responder.respond(status: 404) }
        func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision { .accept }
        func webSocketDidOpen(_ connection: WebSocketConnection) {}
        func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {}

        func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
            queue.async { [self] in
                if text == "flood" { floodUntilStalled(connection) }
                connection.close(code: .policyViolation, reason: "slow consumer", discardingQueued: true)
                dropped.store(true, ordering: .releasing)
            }
        }

        private func floodUntilStalled(_ connection: WebSocketConnection) {
            let message = String(repeating: "x", count: 1024)
            var fullSince: ContinuousClock.Instant?
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(10) {
                if case .enqueued = connection.send(text: message) {
                    fullSince = nil
                    continue
                }
                if let fullSince, ContinuousClock.now - fullSince > .milliseconds(300) { return }
                if fullSince == nil { fullSince = .now }
                usleep(5_000)
            }
        }
    }

    private func waitUntilDropped(_ handler: DropHandler) throws {
        let start = ContinuousClock.now
        while !handler.dropped.load(ordering: .acquiring) {
            guard ContinuousClock.now - start < .seconds(15) else { throw RawClient.Failure(description: "no drop") }
            usleep(10_000)
        }
    }

    @Test func stalledConsumerIsResetAtOnce() async throws {
        let handler = DropHandler()
        try await withServer({ $0.maxQueuedBytesPerConnection = 64 * 1024 }, handler: handler) { port in
            let client = try RawClient(port: port, receiveBuffer: 4096)
            #expect(try client.upgrade().status == 101)
            try client.sendText("flood")  // and read nothing until the server dropped us
            try waitUntilDropped(handler)
            // On Linux loopback (64 KiB MSS) the kernel sizes the send buffer at over 1 MB from the start, so the
            // peer is far past `stalledBacklogBytes` and must be reset, not left with a close frame behind the backlog
            // (which it reads only at the TCP zero-window probe pace once the probes backed off: minutes).
            let ending = try client.readUntilEnd(within: .seconds(2))
            #if os(Linux)
            #expect(ending == .reset)
            #else
            #expect(ending == .reset || ending == .closeFrame(code: 1008))
            #endif
        }
    }

    @Test func readingConsumerGetsThe1008CloseFrame() async throws {
        let handler = DropHandler()
        try await withServer(handler: handler) { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade().status == 101)
            try client.sendText("drop")
            #expect(try client.readUntilEnd(within: .seconds(5)) == .closeFrame(code: 1008))
        }
    }

    @Test func stalledPeerRule() {
        let limit = ServiceLoop.stalledBacklogBytes
        #expect(!ServiceLoop.peerIsStalled(unsentBytes: 0, holdsPartialFrame: false))
        #expect(!ServiceLoop.peerIsStalled(unsentBytes: limit, holdsPartialFrame: false))
        #expect(ServiceLoop.peerIsStalled(unsentBytes: limit + 1, holdsPartialFrame: false))
        #expect(ServiceLoop.peerIsStalled(unsentBytes: 0, holdsPartialFrame: true))
        #expect(!ServiceLoop.peerIsStalled(unsentBytes: -1, holdsPartialFrame: false))  // unknown: send the frame
    }
}
