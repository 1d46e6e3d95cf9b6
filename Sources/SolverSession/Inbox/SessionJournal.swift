import SolverCore

/// Where accepted cost updates are made durable before they are acknowledged (the cluster's Redis streams).
///
/// The embedded default has no journal (nil) and pays nothing. With a journal, `UpdateSequencer` takes the seq and
/// issues `append` under its lock, so one session's appends are issued in seq order; the call only enqueues and
/// returns at once. The outcome arrives later, on the journal's thread: the update is acknowledged (and handed to
/// the solver) from there, in seq order. A thread that must never wait therefore never waits for the store.
public protocol SessionJournal: AnyObject, Sendable {
    /// A session was created or restored on this node, before it becomes visible in the registry: take what
    /// appends need (the cluster takes the session's lease). Throwing refuses the creation with that error.
    /// May wait for the store: never called on a thread that must not wait.
    func open(_ session: Session) throws
    /// Issues the append of one accepted update under `seq` and returns without waiting. `completion` runs exactly
    /// once, never before `append` returned and never on the caller's thread while `append` runs (callers hold a
    /// lock), in issue order for the appends of one session, within the journal's command timeout.
    func append(sessionID: SessionID, seq: UInt64, update: CostUpdate,
                completion: @escaping @Sendable (JournalOutcome) -> Void)
    /// The session leaves this node, before it is closed: `shutdown` (hand it over), `migrated` (it is already
    /// elsewhere), or an end. `session` is nil when gone. May wait for the store.
    func close(_ id: SessionID, reason: SessionCloseReason, session: Session?)
}

/// What became of one journal append.
public enum JournalOutcome: Sendable, Equatable {
    /// Durable as configured (written, and confirmed by the replicas asked for): acknowledge and apply.
    case durable
    /// Written to the store but not confirmed by as many replicas as configured: the journal holds it, so it is
    /// applied (a later owner replays it anyway), but the client gets this error instead of an ack, since a loss of
    /// the store's master could still drop it.
    case unconfirmed(SolverError)
    /// Not written: neither acknowledged nor applied; the seq stays unused.
    case refused(SolverError)
}
