import SolverCore
import SolverSession

/// The one place that maps error codes to HTTP statuses.
///
/// 400 means the request could not be read as a message: bad JSON, wrong JSON types, missing fields, an unknown
/// `type`, an unparsable Matrix Market text. 422 means it was read but its content is unacceptable: an
/// inconsistent or unsolvable matrix, a value out of range, an unknown method. Session state conflicts are 404 /
/// 409 / 410, limits 413 / 429 / 503. Codes declared downstream (the server's transport codes) are listed by
/// their strings. Any code not listed is 500, like any error that is not a `SolverError`.
extension SolverError {
    public static let httpStatusByCode: [Code: Int] = [
        // Syntax, types, structure of the message: 400.
        .invalidJSON: 400, .invalidType: 400, .missingField: 400, .unknownType: 400, .parseError: 400,
        // Semantically invalid content: 422.
        .invalidArgument: 422, .invalidMatrix: 422, .dimensionMismatch: 422, .indexOutOfRange: 422,
        .nonFinite: 422, .empty: 422, .notSquare: 422, .zeroDiagonal: 422, .duplicateEntry: 422,
        .unsupportedMethod: 422, .notDiagonallyDominant: 422, .preconditionerBreakdown: 422, .invalidSnapshot: 422,
        .factorizationFailed: 422,
        // Sessions.
        .sessionNotFound: 404, .duplicateSession: 409, .oldValueMismatch: 409, .sessionClosed: 410,
        // Limits.
        .tooLarge: 413, .factorizationTooLarge: 413, "payload_too_large": 413, "rate_limited": 429, .capacityExceeded: 503, "draining": 503,
        // Replay from a `since_seq` older than the retained events is no longer possible.
        "events_expired": 410,
        // Cluster mode: the update was not made durable / the cluster store is unreachable; retrying may succeed.
        .updateNotDurable: 503, "cluster_unavailable": 503,
        // An update whose `propagation_depth` allows no further hop reached a node that does not own its session.
        "propagation_exhausted": 422,
        // Cluster mode: a read relayed to the session's owner found no owner to ask / got no answer in time.
        "owner_unavailable": 503, "owner_timeout": 504,
        // Transport and access (declared by the server module).
        "unauthorized": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
        .internal: 500,
    ]

    /// The HTTP status for this error's code; 500 for codes without a mapping.
    public var httpStatus: Int { Self.httpStatusByCode[code] ?? 500 }
}
