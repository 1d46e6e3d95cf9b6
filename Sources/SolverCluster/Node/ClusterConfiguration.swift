/// How a node joins the cluster (`solverd serve --cluster redis://HOST:PORT --node-id ID`).
public struct ClusterConfiguration: Sendable {
    public var endpoint: RedisEndpoint
    public var nodeID: String
    /// Session lease; an owner that stops renewing loses its sessions after this long.
    public var leaseMilliseconds = 3000
    /// Snapshot of each owned session at most this often while it changes (and at every convergence).
    public var snapshotInterval = 2.0
    /// Snapshot TTL: the sessions' maximum duration (no snapshot outlives its session).
    public var maxSessionDuration = 3600.0
    /// Heartbeat period (seconds); a node missing three is reported unhealthy.
    public var heartbeatInterval = 1.0
    /// Events kept per session in Redis for resuming on another node.
    public var eventLogLength = 1024
    public var keys = ClusterKeys()
    /// How long a distributed verification round waits for votes; silent nodes count against consensus.
    public var voteTimeout = 1.0
    /// Replicas that must confirm a journal append (Redis `WAIT`) before its update is acknowledged; 0 acknowledges
    /// once the master has it. With 1 and a replica, an acknowledged update survives a Sentinel failover.
    public var waitReplicas = 0
    /// How long an append waits for those replicas before it is reported as unconfirmed.
    public var waitTimeoutMilliseconds = 1000
    /// Journal connections whose round trips overlap (a session always appends through the same one).
    public var journalLanes = 2
    /// Test-only fault injection: this node answers verification rounds with wrong residuals.
    public var faultInjectWrongResiduals = false

    public init(endpoint: RedisEndpoint, nodeID: String) {
        self.endpoint = endpoint
        self.nodeID = nodeID
    }

    /// Timer period of the lease keeper: a third of the lease, so two renewals may fail before it runs out, and
    /// never longer than the heartbeat, which the same tick sends (with a long lease, beating every third of it
    /// would let the three-beat liveness key expire between beats). The tick also adopts orphans, so a shorter
    /// heartbeat hands a drained node's sessions over sooner.
    var tickInterval: Double { max(0.05, min(Double(leaseMilliseconds) / 3000, heartbeatInterval)) }
}
