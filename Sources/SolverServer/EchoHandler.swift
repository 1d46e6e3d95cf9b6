import Dispatch
import SolverCore

/// A transport-only handler for tests and protocol conformance runs (Autobahn):
/// - WebSocket: every text or binary message is sent back unchanged.
/// - `GET /echo` answers a small JSON description of the request; `POST /echo` answers the body unchanged.
/// - `GET /stream?n=N` streams N NDJSON lines (`{"line":i}`) from another thread, one chunk each.
/// - Upgrades are refused with 401 when `requiredAuthorization` is set and the header differs.
public struct EchoHandler: TransportHandler {
    public var requiredAuthorization: String?
    private let queue = DispatchQueue(label: "solverd.echo-stream")

    public init(requiredAuthorization: String? = nil) {
        self.requiredAuthorization = requiredAuthorization
    }

    public func handleHTTP(_ request: HTTPRequest, responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/echo"), ("HEAD", "/echo"):
            responder.respond(status: 200, headers: [("content-type", "application/json")], body: describe(request))
        case ("POST", "/echo"):
            let type = request.headers["content-type"] ?? "application/octet-stream"
            responder.respond(status: 200, headers: [("content-type", type)], body: request.body)
        case ("GET", "/stream"):
            let count = request.queryValue("n").flatMap { Int($0) } ?? 10
            guard let stream = responder.startStream(status: 200, headers: [("content-type", "application/x-ndjson")])
            else { return }
            queue.async {
                for index in 0..<count { stream.send("{\"line\":\(index)}\n") }
                stream.finish()
            }
        default:
            responder.respond(error: SolverError(.notFound, "no route"))
        }
    }

    public func webSocketShouldAccept(_ request: WebSocketUpgradeRequest) -> WebSocketUpgradeDecision {
        if let requiredAuthorization, request.headers["authorization"] != requiredAuthorization {
            return .reject(SolverError(.unauthorized, "bad credentials"))
        }
        return .accept
    }

    public func webSocketDidOpen(_ connection: WebSocketConnection) {}

    public func webSocketDidReceive(_ connection: WebSocketConnection, text: String) {
        connection.send(text: text)
    }

    public func webSocketDidReceive(_ connection: WebSocketConnection, binary: [UInt8]) {
        connection.send(binary: binary)
    }

    public func webSocketDidClose(_ connection: WebSocketConnection, code: WebSocketCloseCode) {}

    private func describe(_ request: HTTPRequest) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
        }
        let query = request.query.map { "[\(quoted($0.name)),\(quoted($0.value))]" }.joined(separator: ",")
        let headers = request.headers.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ",")
        return "{\"method\":\(quoted(request.method)),\"path\":\(quoted(request.path)),\"query\":[\(query)],"
            + "\"headers\":{\(headers)},\"remote_address\":\(quoted(request.remoteAddress))}"
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
