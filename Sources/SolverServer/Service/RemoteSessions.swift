import SolverCore
import SolverSession

/// Sessions held by other nodes (cluster mode; nil in the embedded default). The routes consult it only when a
/// session is not in the local registry.
public protocol RemoteSessions: Sendable {
    /// Forwards an update to the session's owner; `completion` (any thread) gets the owner's durable ack seq or the
    /// error (`update_not_durable` when the outcome is unknown or refused).
    func forward(_ id: SessionID, _ update: CostUpdate, principal: String,
                 completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void)
}
