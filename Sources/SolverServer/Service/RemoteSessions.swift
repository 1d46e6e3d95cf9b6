import SolverCore
import SolverSecurity
import SolverSession

/// Sessions held by other nodes (cluster mode; nil in the embedded default). The routes consult it only when a
/// session is not in the local registry.
public protocol RemoteSessions: Sendable {
    /// Forwards an update to the session's owner; `completion` (any thread) gets the owner's durable ack seq or the
    /// error (`update_not_durable` when the outcome is unknown or refused).
    func forward(_ id: SessionID, _ update: CostUpdate, principal: Principal,
                 completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void)

    /// Subscribes to a session's events wherever it runs: first those after `since` still retained, then live ones,
    /// each seq once and in order. `deliver` gets (seq, type, wire JSON) on any thread and must only enqueue.
    /// Returns the cancellation.
    func subscribe(_ id: SessionID, since: UInt64?,
                   deliver: @escaping @Sendable (UInt64, String, [UInt8]) -> Void) -> @Sendable () -> Void

    /// Asks the session's owner to answer `query` for `principal` (the owner applies its access rules).
    /// `completion` (any thread) gets the owner's body or a clear error — session not found, owner unreachable,
    /// timed out, answer too large — never silence: every call completes within the query's timeout.
    func ask(_ id: SessionID, _ query: RemoteQuery, principal: Principal,
             completion: @escaping @Sendable (RemoteQuery.Answer) -> Void)

    /// Every session the cluster knows, with the node holding it (nil between owners). Two store round trips.
    func sessionDirectory() throws -> [(id: SessionID, owner: String?)]

    /// Installs how this node answers other nodes' queries about the sessions it holds. The service calls it once,
    /// when it is created.
    func answerQueries(with answerer: @escaping RemoteQuery.Answerer)
}
