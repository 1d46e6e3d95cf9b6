import SolverCore
import SolverWire

/// Answers one HTTP request: JSON bodies, errors as `{"error":{code,message,field?}}` with the mapped status,
/// CORS headers on everything, and streamed responses.
struct Reply: Sendable {
    let responder: HTTPResponder
    let cors: [(String, String)]
    let metrics: ServiceMetrics
    let acceptsGzip: Bool

    static let jsonType = ("content-type", "application/json")

    func json(_ status: Int, _ body: [UInt8], headers: [(String, String)] = []) {
        send(status, body, headers: [Self.jsonType] + headers)
    }

    func text(_ status: Int, _ body: String, contentType: String) {
        send(status, Array(body.utf8), headers: [("content-type", contentType)])
    }

    /// Sends a complete response, gzip-compressed when the client accepts it and the body is worth compressing.
    func send(_ status: Int, _ body: [UInt8], headers: [(String, String)]) {
        var headers = headers + cors
        var body = body
        if acceptsGzip, body.count >= Gzip.minimumBytes, let compressed = Gzip.compress(body) {
            body = compressed
            headers += [("content-encoding", "gzip"), ("vary", "Accept-Encoding")]
        }
        metrics.bytesOut.increment(by: body.count)
        responder.respond(status: status, headers: headers, body: body)
    }

    func error(_ error: SolverError, headers: [(String, String)] = []) {
        metrics.errors.increment()
        json(error.httpStatus, WireEncoder.errorBody(error), headers: headers)
    }

    /// CORS preflight: which methods and headers a browser may use.
    func preflight(_ request: HTTPRequest) {
        var headers = cors
        headers.append(("access-control-allow-methods", "GET, POST, DELETE, OPTIONS"))
        headers.append(("access-control-allow-headers",
                        request.headers["access-control-request-headers"] ?? "authorization, content-type, last-event-id"))
        headers.append(("access-control-max-age", "600"))
        responder.respond(status: 204, headers: headers, body: [])
    }

    /// Starts an event stream in the framing the client asked for.
    func startStream(_ framing: EventFraming) -> HTTPStream? {
        let type = framing == .sse ? "text/event-stream" : "application/x-ndjson"
        return responder.startStream(status: 200, headers: [("content-type", type), ("cache-control", "no-cache"),
                                                              ("x-accel-buffering", "no")] + cors)
    }
}

extension Reply {
    /// A gate refusal: its error with its headers (`WWW-Authenticate`, `Retry-After`).
    func refuse(_ refusal: GateRefusal) {
        error(refusal.error, headers: refusal.headers)
    }
}
