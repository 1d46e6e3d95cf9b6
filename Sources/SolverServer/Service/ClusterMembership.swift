/// The nodes of the cluster this process belongs to, for `GET /api/v1/status` (cluster mode; nil in the embedded
/// default, where status lists this node alone). A plug-in like ``RemoteSessions``, so the server never depends on
/// the cluster backend.
public protocol ClusterMembership: Sendable {
    /// Every node with its health, this one included. May block for a store round trip (the status route calls it
    /// off the service thread); throws when the store is unreachable.
    func nodes() throws -> [NodeInfo]
}
