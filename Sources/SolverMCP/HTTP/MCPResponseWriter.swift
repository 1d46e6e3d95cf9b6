import Foundation
import MCP
import SolverServer

/// Writes the SDK's framework-agnostic `HTTPResponse` through the lws responder; SSE bodies are piped chunk by
/// chunk, waiting (never dropping) while the connection's outbox is full, and stop when the client leaves.
enum MCPResponseWriter {
    static let overflowRetry: Duration = .milliseconds(5)

    static func write(_ response: MCP.HTTPResponse, to responder: HTTPResponder) async {
        let headers = response.headers.map { ($0.key.lowercased(), $0.value) }
        guard case .stream(let body, _) = response else {
            responder.respond(status: response.statusCode, headers: headers, body: response.bodyData.map { [UInt8]($0) } ?? [])
            return
        }
        guard let stream = responder.startStream(status: response.statusCode, headers: headers) else { return }
        let pipe = Task {
            do {
                for try await chunk in body {
                    guard await send([UInt8](chunk), to: stream) else { break }
                }
            } catch {}
            stream.finish()
        }
        stream.onClose { pipe.cancel() }
        await pipe.value
    }

    /// Queues one chunk; false when the client is gone or the pipe was cancelled.
    private static func send(_ bytes: [UInt8], to stream: HTTPStream) async -> Bool {
        while !Task.isCancelled {
            switch stream.send(bytes) {
            case .enqueued: return true
            case .closed: return false
            case .overflow: try? await Task.sleep(for: overflowRetry)
            }
        }
        return false
    }
}
