import SolverCore
import SolverSecurity

/// Why the gate (or a route) turned a request away: the error for the client, the headers that go with it
/// (`WWW-Authenticate`, `Retry-After`, `Allow`) and the `reason` label the gate counts in `solverd_rejects_total`.
struct GateRefusal: Error, Sendable {
    var error: SolverError
    var headers: [(String, String)]
    var reason: String

    static func unauthorized(_ failure: AuthFailure) -> GateRefusal {
        GateRefusal(error: SolverError(.unauthorized, failure.message, field: nil),
                    headers: [("www-authenticate", Credentials.challenge(failure))], reason: "unauthorized")
    }

    static func limited(_ what: String, retryAfter: Double, reason: String) -> GateRefusal {
        GateRefusal(error: .rateLimited(what, retryAfter: retryAfter),
                    headers: [("retry-after", String(RetryAfter.seconds(retryAfter)))], reason: reason)
    }
}
