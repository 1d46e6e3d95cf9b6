import SolverSecurity

/// Where a client's bearer token is read from, in this order: `Authorization: Bearer <token>`; the WebSocket
/// subprotocol `bearer.<token>` (browsers offer `["solverd", "bearer.<token>"]`, the server selects `solverd`);
/// the query parameter `access_token` (browsers' WebSocket and EventSource).
enum Credentials {
    static let subprotocolPrefix = "bearer."

    static func token(headers: HTTPHeaders, query: [(name: String, value: String)]) throws(AuthFailure) -> String? {
        if let token = try Authenticator.bearerToken(fromAuthorization: headers["authorization"]) { return token }
        let offered = (headers["sec-websocket-protocol"] ?? "").split(separator: ",").map { $0.trimmingWhitespace() }
        if let protocolToken = offered.first(where: { $0.hasPrefix(subprotocolPrefix) }) {
            return String(protocolToken.dropFirst(subprotocolPrefix.count))
        }
        return query.first { $0.name == "access_token" }?.value
    }

    /// `WWW-Authenticate` for a 401 (RFC 6750): the reason, never the credential.
    static func challenge(_ failure: AuthFailure) -> String {
        if failure.reason == .missing { return "Bearer realm=\"solverd\"" }
        let description = failure.message.replacingOccurrences(of: "\"", with: "'")
        return "Bearer realm=\"solverd\", error=\"invalid_token\", error_description=\"\(description)\""
    }
}
