import SolverCore

/// Where accepted cost updates are made durable before they are acknowledged (the cluster's Redis streams).
///
/// The embedded default has no journal (nil) and pays nothing. With a journal, `Session.submit` calls `append`
/// under the session's inbox lock — so appends of one session arrive in seq order — after taking the seq and before
/// the acknowledge callback runs: an acknowledgement therefore means the update is durable. When `append` throws,
/// the update is refused with `update_not_durable` and nothing of it is applied.
public protocol SessionJournal: AnyObject, Sendable {
    /// A session was created or restored on this node, before it becomes visible in the registry: take what
    /// appends need (the cluster takes the session's lease). Throwing refuses the creation with that error.
    func open(_ session: Session) throws
    /// Makes one accepted update durable under `seq`. Must return promptly (bounded by a timeout) and not call back
    /// into the session.
    func append(sessionID: SessionID, seq: UInt64, update: CostUpdate) throws
    /// The session leaves this node, before it is closed: `shutdown` (hand it over), `migrated` (it is already
    /// elsewhere), or an end (`closed_by_client`, `idle_timeout`, `max_duration`, …). `session` is nil when gone.
    func close(_ id: SessionID, reason: String, session: Session?)
}
