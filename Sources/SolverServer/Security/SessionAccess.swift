import SolverSecurity
import SolverSession
import Synchronization

/// Who may use a session: its owner (the principal that created it), the principals it was shared with on
/// creation (`share`), and admins. Shares are kept here, beside the registry, and forgotten with the session.
final class SessionAccess: Sendable {
    private let shares = Mutex<[SessionID: Set<String>]>([:])

    func record(_ id: SessionID, sharedWith: Set<String>) {
        guard !sharedWith.isEmpty else { return }
        shares.withLock { $0[id] = sharedWith }
    }

    func forget(_ id: SessionID) { shares.withLock { $0[id] = nil } }

    /// Drops the shares of sessions that no longer exist (expired); cheap enough to run on each creation.
    func prune(keeping live: (SessionID) -> Bool) {
        shares.withLock { table in
            for id in table.keys where !live(id) { table[id] = nil }
        }
    }

    func mayAccess(_ principal: Principal, _ session: Session) -> Bool {
        if principal.isAdmin || session.owner == nil || session.owner == principal.name { return true }
        return shares.withLock { $0[session.id]?.contains(principal.name) ?? false }
    }

    /// Throws 403 `forbidden` unless `principal` may use `session`.
    func check(_ principal: Principal, _ session: Session) throws(GateRefusal) {
        guard mayAccess(principal, session) else {
            throw GateRefusal.forbidden("session \(session.id) belongs to another principal and is not shared with \(principal.name)")
        }
    }
}
