import SolverCore
import SolverWire

/// The transport answers its own refusals (413, 411, 400 for unreadable framing, 503 while draining, refused upgrades)
/// exactly like the API answers errors: a registry code, the status the registry gives it, and the envelope
/// `{"error":{"code","message","field"?}}` written by `WireEncoder.errorBody`.
extension SolverError {
    /// A request or upgrade that arrives while the server drains.
    static let shuttingDown = SolverError(.draining, "the server is shutting down")

    /// This error as a complete HTTP response; `headers` come after the JSON content type.
    func httpResponse(headers: [(String, String)] = []) -> (status: Int, headers: [(String, String)], body: [UInt8]) {
        (httpStatus, [("content-type", "application/json")] + headers, WireEncoder.errorBody(self))
    }
}

extension HTTPExchange {
    /// Answers with `error` (see ``SolverError/httpResponse(headers:)``). One-shot like `respond`.
    func respond(error: SolverError, headers: [(String, String)] = [], closeAfter: Bool = false) -> Bool {
        let response = error.httpResponse(headers: headers)
        return respond(status: response.status, headers: response.headers, body: response.body, closeAfter: closeAfter)
    }
}

extension HTTPResponder {
    /// Answers with `error` in the API's error envelope and its registry status, plus `headers`.
    @discardableResult
    public func respond(error: SolverError, headers: [(String, String)] = []) -> Bool {
        exchange.respond(error: error, headers: headers)
    }
}

extension WebSocketUpgradeDecision {
    /// Refuses the upgrade with `error` in the API's error envelope and its registry status, plus `headers`
    /// (`WWW-Authenticate`, `Retry-After`, …).
    public static func reject(_ error: SolverError, headers: [(String, String)] = []) -> Self {
        let response = error.httpResponse(headers: headers)
        return .reject(status: response.status, headers: response.headers, body: response.body)
    }
}
