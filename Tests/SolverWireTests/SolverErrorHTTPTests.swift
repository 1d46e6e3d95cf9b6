import Testing
import SolverCore
@testable import SolverWire

/// The error-code registry (`SolverError.Code`): its wire strings, HTTP statuses and WebSocket close codes.
@Suite struct SolverErrorHTTPTests {
    static let registry = SolverError.Code.allCases

    @Test func wireStringsAreUniqueSnakeCase() {
        let wire = Self.registry.map(\.rawValue)
        #expect(Set(wire).count == wire.count, "duplicate wire strings")
        for code in wire {
            let isSnakeCase = code.first?.isLetter == true && code.last != "_" && !code.contains("__")
                && code.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            #expect(isSnakeCase, "\(code) is not snake_case")
        }
    }

    @Test func wireStringsRoundTrip() {
        for code in Self.registry {
            #expect(SolverError.Code(rawValue: code.rawValue) == code)
            #expect(code.description == code.rawValue)
        }
        #expect(SolverError.Code(rawValue: "something_new") == nil)
        #expect(SolverError.Code(rawValue: "shutting_down") == nil, "the drain has one code: draining")
    }

    @Test func everyCodeHasAnErrorStatus() {
        for code in Self.registry {
            #expect((400...599).contains(code.httpStatus), "\(code) has status \(code.httpStatus)")
            #expect(SolverError(code, "x").httpStatus == code.httpStatus)
        }
    }

    @Test(arguments: [
        (SolverError.Code.invalidJSON, 400), (.invalidType, 400), (.missingField, 400), (.unknownType, 400),
        (.parseError, 400), (.upgradeRefused, 400), (.malformedRequest, 400), (.invalidMatrix, 422), (.dimensionMismatch, 422),
        (.indexOutOfRange, 422), (.nonFinite, 422), (.invalidArgument, 422), (.unsupportedMethod, 422),
        (.propagationExhausted, 422), (.tooLarge, 413), (.payloadTooLarge, 413), (.lengthRequired, 411),
        (.sessionNotFound, 404), (.notFound, 404), (.duplicateSession, 409), (.oldValueMismatch, 409),
        (.sessionClosed, 410), (.capacityExceeded, 503), (.unauthorized, 401), (.forbidden, 403), (.rateLimited, 429),
        (.methodNotAllowed, 405), (.draining, 503), (.eventsExpired, 410), (.updateNotDurable, 503),
        (.clusterUnavailable, 503), (.ownerUnavailable, 503), (.ownerTimeout, 504), (.internal, 500),
        (.originNotAllowed, 403), (.unsupportedMediaType, 415), (.hostNotAllowed, 421),
    ])
    func status(_ code: SolverError.Code, _ status: Int) {
        #expect(SolverError(code, "x").httpStatus == status)
    }

    /// RFC 6455: 1001 going away for the drain, 1008 policy violation for credentials and rate limits, 1009 for a
    /// message over the limit, 1011 for a server failure. Every other code is answered on a connection that stays open.
    @Test func closeCodes() {
        let closing: [SolverError.Code: UInt16] = [
            .draining: 1001, .unauthorized: 1008, .rateLimited: 1008, .payloadTooLarge: 1009, .internal: 1011,
        ]
        for code in Self.registry {
            #expect(code.webSocketClose?.rawValue == closing[code], "\(code)")
        }
    }

    @Test func errorBodyCarriesTheRegistryString() throws {
        let body = WireEncoder.errorBody(SolverError(.draining, "the server is shutting down"))
        let error = try #require(try JSONReader.parse(body)["error"])
        #expect(error["code"] == .string("draining"))
        #expect(error["message"] == .string("the server is shutting down"))
        #expect(error["field"] == nil)
    }
}
