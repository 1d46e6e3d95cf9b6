/// The error-code registry: every code any solverd module throws or answers with is a case here, and nowhere else.
///
/// A case carries its wire string (the raw value), its HTTP status (`httpStatus`) and the WebSocket close code used
/// when the error ends a connection (`webSocketClose`). The enum is closed on purpose: an unknown code cannot be
/// built by accident (`init(rawValue:)` is failable, and there is no string-literal initialiser); `allCases` lists
/// the registry for tests and documentation.
///
/// HTTP: 400 means the request could not be read as a message (bad JSON, wrong JSON types, missing fields, an unknown
/// `type`, an unparsable Matrix Market text, a malformed upgrade); 422 means it was read but its content is
/// unacceptable (an inconsistent or unsolvable matrix, a value out of range, an unknown method). Session state
/// conflicts are 404 / 409 / 410, limits 411 / 413 / 429 / 503, browser policy 403 / 415 / 421, cluster relays 503 / 504.
extension SolverError {
    public enum Code: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
        // MARK: 400: the message cannot be read.

        /// The body or frame is not well-formed JSON (the message gives the byte offset).
        case invalidJSON = "invalid_json"
        /// A field has the wrong JSON type (a string where a number belongs, a fractional index, …).
        case invalidType = "invalid_type"
        /// A required field is absent.
        case missingField = "missing_field"
        /// A message `type` the server does not know (the message lists the valid ones).
        case unknownType = "unknown_type"
        /// A text input (Matrix Market) could not be parsed.
        case parseError = "parse_error"
        /// A WebSocket upgrade the transport cannot honour (not `websocket`, no supported subprotocol offered).
        case upgradeRefused = "upgrade_refused"
        /// An HTTP request whose framing cannot be read: malformed chunked encoding, a transfer-encoding other than
        /// `chunked`, or one beside a `content-length` (the connection is closed after the answer).
        case malformedRequest = "malformed_request"

        // MARK: 401 / 403: access.

        /// No or invalid credentials (401, with `WWW-Authenticate`).
        case unauthorized = "unauthorized"
        /// Valid credentials, but not for this session (403).
        case forbidden = "forbidden"
        /// A browser request or WebSocket upgrade from an origin that is neither the server's own nor configured (403).
        case originNotAllowed = "origin_not_allowed"
        /// A `Host` that does not name this server: on a loopback bind, anything but a loopback name (DNS rebinding).
        case hostNotAllowed = "host_not_allowed"

        // MARK: 404 / 405 / 409 / 410: routes and session state.

        /// No session with that id.
        case sessionNotFound = "session_not_found"
        /// No route (or WebSocket endpoint) at that path.
        case notFound = "not_found"
        /// The route exists but not for this HTTP method (the message names the allowed ones).
        case methodNotAllowed = "method_not_allowed"
        /// A session id that is already in use.
        case duplicateSession = "duplicate_session"
        /// A `matrix_updates` entry's `old_value` did not match the live value.
        case oldValueMismatch = "old_value_mismatch"
        /// The session ended (closed, expired or migrated).
        case sessionClosed = "session_closed"
        /// A resume point (`since_seq`) older than the retained events.
        case eventsExpired = "events_expired"

        // MARK: 411 / 413 / 429: request limits.

        /// An HTTP request with a body but neither `content-length` nor chunked transfer-encoding (HTTP/1.0 without a
        /// length: the body could only end with the connection).
        case lengthRequired = "length_required"
        /// A request body that is not `Content-Type: application/json` (a cross-site form cannot send JSON).
        case unsupportedMediaType = "unsupported_media_type"
        /// A size exceeds a configured limit.
        case tooLarge = "too_large"
        /// The symbolic analysis predicts a factor larger than the configured limit.
        case factorizationTooLarge = "factorization_too_large"
        /// An HTTP body or WebSocket message exceeds the transport's limit.
        case payloadTooLarge = "payload_too_large"
        /// Over a request, connection or update budget (429, with `Retry-After`).
        case rateLimited = "rate_limited"

        // MARK: 422: readable but unacceptable content.

        /// An option or argument has a value outside what is accepted.
        case invalidArgument = "invalid_argument"
        /// Structure of the matrix data is wrong (pointer arrays, lengths, ordering).
        case invalidMatrix = "invalid_matrix"
        /// Two declared or implied sizes disagree.
        case dimensionMismatch = "dimension_mismatch"
        /// An index lies outside its range.
        case indexOutOfRange = "index_out_of_range"
        /// A value is NaN or infinite.
        case nonFinite = "non_finite_value"
        /// The system has no rows or no entries.
        case empty = "empty_matrix"
        /// The matrix is not square.
        case notSquare = "not_square"
        /// A method that divides by the diagonal met a zero or missing diagonal entry.
        case zeroDiagonal = "zero_diagonal"
        /// A compressed row or column repeats an index.
        case duplicateEntry = "duplicate_entry"
        /// The requested method is unknown or cannot be applied to this matrix.
        case unsupportedMethod = "unsupported_method"
        /// A method that needs a diagonally dominant matrix (the random-walk estimator) was given one that is not.
        case notDiagonallyDominant = "not_diagonally_dominant"
        /// An incomplete factorisation met a pivot it cannot use (IC(0): ≤ 0; ILU(0): zero); another preconditioner may.
        case preconditionerBreakdown = "preconditioner_breakdown"
        /// The numeric factorisation failed: not positive definite, a zero pivot, numerically singular.
        case factorizationFailed = "factorization_failed"
        /// A snapshot blob that cannot be read.
        case invalidSnapshot = "invalid_snapshot"
        /// A `propagation_depth` of 0 met a session owned by another node.
        case propagationExhausted = "propagation_exhausted"

        // MARK: 5xx: the server cannot answer now.

        /// Anything unexpected; details are logged, not sent.
        case `internal` = "internal"
        /// A global limit (sessions, memory) is reached.
        case capacityExceeded = "capacity_exceeded"
        /// The server is shutting down and takes no new work.
        case draining = "draining"
        /// The update could not be made durable (store unreachable, or this node lost the lease); not applied. Retry.
        case updateNotDurable = "update_not_durable"
        /// Cluster mode cannot reach its store (Redis) right now; retrying may succeed.
        case clusterUnavailable = "cluster_unavailable"
        /// The session's owner cannot be asked right now (dead, between owners, not serving yet); retrying may succeed.
        case ownerUnavailable = "owner_unavailable"
        /// The session's owner did not answer a relayed read in time (504).
        case ownerTimeout = "owner_timeout"

        public var description: String { rawValue }

        /// The HTTP status an error with this code is answered with.
        public var httpStatus: Int {
            switch self {
            case .invalidJSON, .invalidType, .missingField, .unknownType, .parseError, .upgradeRefused, .malformedRequest:
                400
            case .unauthorized: 401
            case .forbidden, .originNotAllowed: 403
            case .sessionNotFound, .notFound: 404
            case .methodNotAllowed: 405
            case .duplicateSession, .oldValueMismatch: 409
            case .sessionClosed, .eventsExpired: 410
            case .lengthRequired: 411
            case .unsupportedMediaType: 415
            case .hostNotAllowed: 421
            case .tooLarge, .factorizationTooLarge, .payloadTooLarge: 413
            case .invalidArgument, .invalidMatrix, .dimensionMismatch, .indexOutOfRange, .nonFinite, .empty, .notSquare,
                 .zeroDiagonal, .duplicateEntry, .unsupportedMethod, .notDiagonallyDominant, .preconditionerBreakdown,
                 .factorizationFailed, .invalidSnapshot, .propagationExhausted: 422
            case .rateLimited: 429
            case .internal: 500
            case .capacityExceeded, .draining, .updateNotDurable, .clusterUnavailable, .ownerUnavailable: 503
            case .ownerTimeout: 504
            }
        }

        /// The RFC 6455 close code used when an error with this code ends a WebSocket (its wire string is the close
        /// reason). nil: the error is only ever answered with an `error` frame and the connection stays open.
        public var webSocketClose: WebSocketCloseCode? {
            switch self {
            // The drain closes every WebSocket (after a `shutdown` frame).
            case .draining: .goingAway
            // Credentials that expired between the upgrade and the open; a connection or stream budget exhausted at
            // the open; repeated refusals on one connection.
            case .unauthorized, .rateLimited: .policyViolation
            // A message over the transport's limit.
            case .payloadTooLarge: .messageTooBig
            case .internal: .internalError
            default: nil
            }
        }
    }

    /// The HTTP status for this error, from the registry.
    public var httpStatus: Int { code.httpStatus }
}
