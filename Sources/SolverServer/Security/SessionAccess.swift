import SolverSecurity
import SolverSession

/// Who may use a session: its owner (the principal that created it), the principals it was shared with on
/// creation (`share`, kept in the session and its snapshots), and admins.
struct SessionAccess: Sendable {
    func mayAccess(_ principal: Principal, _ session: Session) -> Bool {
        principal.isAdmin || session.mayBeUsed(by: principal.name)
    }

    /// Throws 403 `forbidden` unless `principal` may use `session`.
    func check(_ principal: Principal, _ session: Session) throws(GateRefusal) {
        guard mayAccess(principal, session) else {
            throw GateRefusal.forbidden("session \(session.id) belongs to another principal and is not shared with \(principal.name)")
        }
    }
}
