import SolverCore

/// How a request's body is delimited, decided from its head before lws delivers any of it (RFC 9112 §6).
///
/// lws 4.1.6 collects a body for POST, PUT and PATCH (and for any method with a positive `content-length`); without
/// a length it reads the raw, still chunk-framed bytes of a POST/PUT/PATCH until 100 MiB. A transfer-encoding it
/// would not read that way (on another method, or beside a length that lws would obey instead) is refused, so the
/// bytes after the head are never taken for the next request.
enum RequestBodyFraming: Equatable {
    /// No body is read: a method without one, or a length lws delivers nothing for (0 on PUT/PATCH).
    case none
    case length(Int)
    case chunked
    /// Answered with this error before reading anything; the connection closes after the answer.
    case refused(SolverError.Code, String)

    static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    init(method: String, headers: HTTPHeaders, isHTTP11: Bool) {
        let declared = headers["content-length"]
        if let encoding = headers["transfer-encoding"] {
            self = Self.transferEncoded(encoding, method: method, hasLength: declared != nil, isHTTP11: isHTTP11)
        } else if let declared {
            guard let length = Int(declared[...].trimmingWhitespace()), length >= 0 else {
                self = .refused(.malformedRequest, "invalid content-length")
                return
            }
            // lws gives a POST with an explicit 0 the BODY / BODY_COMPLETION callbacks; PUT and PATCH none.
            self = length > 0 || method == "POST" ? .length(length) : .none
        } else if Self.bodyMethods.contains(method) {
            // HTTP/1.0, or HTTP/1.1 without either header: the body could only end with the connection.
            self = .refused(.lengthRequired, "a content-length header or chunked transfer-encoding is required")
        } else {
            self = .none
        }
    }

    private static func transferEncoded(_ encoding: String, method: String, hasLength: Bool, isHTTP11: Bool) -> Self {
        guard isHTTP11 else { return .refused(.malformedRequest, "transfer-encoding in an HTTP/1.0 request") }
        guard !hasLength else { return .refused(.malformedRequest, "both content-length and transfer-encoding") }
        guard encoding[...].trimmingWhitespace().lowercased() == "chunked" else {
            return .refused(.malformedRequest, "unsupported transfer-encoding (only chunked is accepted)")
        }
        guard bodyMethods.contains(method) else {
            return .refused(.malformedRequest, "a \(method) request cannot carry a chunked body")
        }
        return .chunked
    }

    /// The body is read through `LWS_CALLBACK_HTTP_BODY` / `_COMPLETION` before the request is dispatched.
    var readsBody: Bool {
        switch self {
        case .length, .chunked: true
        case .none, .refused: false
        }
    }
}
