import Glibc
import Testing

@testable import SolverServer

/// The keep-alive (ping every `pingInterval`, hang up after two without a pong) must not drop a peer that keeps
/// sending: its pong may be queued behind its own data (found by Autobahn case 12.3.9).
@Suite("WebSocket keep-alive", .serialized)
struct KeepAliveTests {
    @Test func aPeerThatKeepsSendingIsNotHungUpWithoutPongs() async throws {
        try await withServer({ $0.pingInterval = .seconds(1) }) { port in
            let client = try RawClient(port: port)
            #expect(try client.upgrade(path: "/ws/solver").status == 101)
            // 4 s of messages, never a pong: the server's hang-up would come after 2 s without the fix.
            for index in 0..<16 {
                try client.sendText("message \(index)")
                usleep(250_000)
            }
            var echoes: [String] = []
            while echoes.last != "message 15" {
                let frame = try client.readFrame()  // raw: pings are read and deliberately not answered
                #expect(frame.opcode != 8, "closed: \(frame.payload)")
                if frame.opcode == 8 { return }
                if frame.opcode == 1 { echoes.append(String(decoding: frame.payload, as: UTF8.self)) }
            }
            #expect(echoes.count == 16)
        }
    }
}
