import Testing
import SolverCore
import SolverSession
@testable import SolverWire

@Suite struct SolverErrorHTTPTests {
    /// Every code declared in SolverCore, SolverSession and SolverWire (`grep 'static let .*: Self ='`).
    static let allCodes: [SolverError.Code] = [
        .invalidMatrix, .dimensionMismatch, .indexOutOfRange, .nonFinite, .empty, .notSquare, .zeroDiagonal,
        .duplicateEntry, .tooLarge, .invalidArgument, .unsupportedMethod, .parseError, .oldValueMismatch,
        .preconditionerBreakdown, .notDiagonallyDominant, .invalidSnapshot, .sessionClosed, .duplicateSession,
        .sessionNotFound, .capacityExceeded, .internal, .invalidJSON, .unknownType, .invalidType, .missingField,
        .updateNotDurable, .factorizationTooLarge, .factorizationFailed,
        // Declared by the server and cluster modules.
        "unauthorized", "forbidden", "rate_limited", "method_not_allowed", "not_found", "payload_too_large",
        "draining", "events_expired", "cluster_unavailable", "propagation_exhausted", "owner_unavailable", "owner_timeout",
    ]

    @Test func everyCodeIsMapped() {
        for code in Self.allCodes {
            #expect(SolverError.httpStatusByCode[code] != nil, "\(code) has no status")
        }
        #expect(Set(SolverError.httpStatusByCode.keys) == Set(Self.allCodes))
    }

    @Test(arguments: [
        (SolverError.Code.invalidJSON, 400), (.invalidType, 400), (.missingField, 400), (.unknownType, 400),
        (.parseError, 400), (.invalidMatrix, 422), (.dimensionMismatch, 422), (.indexOutOfRange, 422),
        (.nonFinite, 422), (.invalidArgument, 422), (.unsupportedMethod, 422), (.tooLarge, 413),
        ("payload_too_large", 413), (.sessionNotFound, 404), ("not_found", 404), (.duplicateSession, 409),
        (.oldValueMismatch, 409), (.sessionClosed, 410), (.capacityExceeded, 503), ("unauthorized", 401),
        ("forbidden", 403), ("rate_limited", 429), ("method_not_allowed", 405), ("draining", 503),
        ("events_expired", 410), (.internal, 500),
    ])
    func status(_ code: SolverError.Code, _ status: Int) {
        #expect(SolverError(code, "x").httpStatus == status)
    }

    @Test func unknownCodesAre500() {
        #expect(SolverError("something_new", "x").httpStatus == 500)
    }
}
