/// One node as the cluster sees it: in `GET /api/v1/status` and the cluster's `/api/v1/swarm/nodes`.
public struct NodeInfo: Sendable, Equatable {
    public var id: String
    /// `host:port` of its service, as it registered (empty for this node in embedded mode).
    public var address: String
    /// `solverd` for cluster members, `external` for swarm nodes registered through `POST /api/v1/swarm/join`.
    public var kind: String
    public var healthy: Bool
    /// Seconds since 1970 of its last heartbeat (0 when unknown).
    public var lastHeartbeat: Double

    public init(id: String, address: String = "", kind: String = "solverd", healthy: Bool, lastHeartbeat: Double = 0) {
        self.id = id
        self.address = address
        self.kind = kind
        self.healthy = healthy
        self.lastHeartbeat = lastHeartbeat
    }
}
