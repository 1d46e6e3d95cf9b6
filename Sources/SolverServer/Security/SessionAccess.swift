import SolverCore
import SolverSecurity
import SolverSession

/// Who may use a session: its owner (the principal that created it), the principals it was shared with on
/// creation (`share`, kept in the session and its snapshots), and admins. One rule for every path: the routes here,
/// and the owner's check of updates forwarded by other nodes (SolverCluster).
public struct SessionAccess: Sendable {
    public init() {}

    public static func mayAccess(_ principal: Principal, _ session: Session) -> Bool {
        principal.isAdmin || session.mayBeUsed(by: principal.name)
    }

    /// The 403 `forbidden` error for `principal` on `session`, or nil when it may use the session.
    public static func denial(_ principal: Principal, _ session: Session) -> SolverError? {
        guard !mayAccess(principal, session) else { return nil }
        return SolverError(.forbidden, "session \(session.id) belongs to another principal and is not shared with \(principal.name)",
                           field: "session_id")
    }

    func mayAccess(_ principal: Principal, _ session: Session) -> Bool { Self.mayAccess(principal, session) }

    /// Throws 403 `forbidden` unless `principal` may use `session`.
    func check(_ principal: Principal, _ session: Session) throws(GateRefusal) {
        if let error = Self.denial(principal, session) { throw GateRefusal(error: error, headers: [], reason: "forbidden") }
    }
}
