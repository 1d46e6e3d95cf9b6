/// # SolverCluster — cluster mode on Redis (issue 6)
///
/// `solverd serve --cluster redis://HOST:PORT --node-id ID [--lease-ms 3000] [--wait-replicas N]`, or the `cluster:`
/// block of `solverd.yaml` (`redis_url`, `sentinel_username`/`sentinel_password`, `wait_replicas`, `wait_timeout_ms`,
/// `node_id`, `lease_ms`, `heartbeat_ms`, `snapshot_interval_ms`, `event_log_length`; `SOLVERD_CLUSTER_*` in the
/// environment), which `solverd` turns into a ``ClusterConfiguration``. Without a Redis URL nothing here runs: the
/// registry has no journal and solverd stays one process with no Redis.
///
/// ## Where Redis is
/// A ``RedisEndpoint`` is one server or a list of Sentinels and a master name, with optional credentials.
/// `RedisConnection.open` makes every connection (clients and the subscriber): under Sentinel it asks the Sentinels
/// in turn for the master, connects, sends `AUTH` first, checks `ROLE`, then `SELECT`s. Connections are re-opened
/// after any failure and after a `READONLY`/`MASTERDOWN` reply, so a Sentinel failover is followed; `waitReplicas`
/// makes the journal's acks wait for replicas (`WAIT`), which is what makes an acknowledged update survive it.
/// TLS is not in hiredis 0.14: operators put stunnel in front (README).
///
/// ## Layout
/// - `Redis/`: a small synchronous client over hiredis 0.14 (`CHiredis`). `RedisConnection` holds every pointer
///   (each with its invariant); `RedisClient` is one lock-guarded connection per use with command timeouts and
///   reconnect backoff (50 ms → 2 s), replies as `RESPValue`, pipelining; `RedisSubscriber` is pub/sub on its own
///   connection and thread, re-subscribing after a reconnect. Redis going away throws `RedisError.unavailable`.
/// - `Store/`: key names (`ClusterKeys`), the Lua scripts (`ClusterScripts`), leases (`LeaseStore`), the journal
///   (`RedisJournal` with `GroupCommit`), snapshots/journal/event-log reads (`SessionStore`).
/// - `Node/`: `ClusterNode` (the registry's `SessionJournal`), its timer (`ClusterNode+Tick`), `EventRelay`,
///   `RemoteFeeds`, `ClusterRPC` (request/reply between nodes, `RPCMessage`) with its two users `UpdateForwarder`
///   and `QueryRelay`, `NodeDirectory`, and `ClusterRoute` (`/api/v1/swarm/join`,
///   `/api/v1/swarm/nodes`, `/api/v1/cluster/sessions/{id}`).
///
/// ## Ownership and fencing
/// A session's owner holds `solverd:s:{id}:lease` = `"node epoch"` (`SET NX PX` inside a script that also
/// `INCR`s `solverd:s:{id}:epoch`). The node timer renews every lease a third of the lease time (one pipelined
/// round trip). Every owner write — journal append, event, snapshot — is a script that refuses (`FENCED`) unless
/// the epoch it carries is still current, so an owner paused past its lease (SIGSTOP) cannot write after waking:
/// its appends fail with `update_not_durable`, its next renewal finds the lease gone and it closes its copy
/// (reason `migrated`). A node that cannot renew for a whole lease (Redis away) drops its sessions the same way.
///
/// ## Durability
/// `Session.submit` calls `SessionJournal.append` under the inbox lock after taking the seq and before the ack
/// callback; the cluster appends entry `<seq>-0` (fields `e` epoch, `u` = `CostUpdate.encodeBinary()`) to the
/// stream `solverd:s:{id}:journal`. Concurrent appends from all sessions share one connection by group commit.
/// A failed append refuses the update with `update_not_durable` (HTTP 503): nothing is applied, nothing acked.
/// An ack is as durable as Redis is configured to be (`appendonly yes`, `appendfsync always` for fsync-before-ack;
/// the tests and the benchmark run that way). Snapshots (`SessionSnapshot.encode`) go to `solverd:s:{id}:snap`
/// with TTL = max session duration (docs/design.md §10) when the session is created, every `snapshotInterval`
/// (2 s) while it changes, at convergence, and on drain; each snapshot trims the journal up to its `lastAppliedSeq`.
///
/// ## Failover
/// Every node's timer looks for sessions in `solverd:sessions` without a lease and adopts them: acquire the lease,
/// load the snapshot, read the journal after its `lastAppliedSeq`, restore with `nextSeq` beyond both the journal
/// and the event log, and `Session.replay` the entries under their original seqs (not journaled or acked again).
/// Takeover therefore happens within lease + one tick. SIGTERM drains: the node stops adopting (`beginHandover`),
/// then `closeAll("shutdown")` snapshots each session, flushes its queued events to the log and releases its lease,
/// so another node adopts it within a tick instead of after the lease; last, `shutdown()` leaves the node list.
///
/// ## Node list
/// Each tick heartbeats into `solverd:nodes` plus an expiring liveness key (three heartbeats). `ClusterNode` is the
/// server's `ClusterMembership`: `GET /api/v1/status` lists every node with health (as `/api/v1/swarm/nodes` does).
///
/// ## Any node serves any client
/// The server consults `RemoteSessions` (implemented by `ClusterNode`) for any session not in its registry.
/// - Requests between nodes (`ClusterRPC`) go to the owner's channel `solverd:rpc:{node}` (the lease names the
///   owner) with a kind, the session and the principal; the owner's handler for that kind answers on the asker's
///   channel. Every call completes: with the answer, or at once when no node holds the lease or the owner's channel
///   has no subscriber (dead owner), or after the kind's timeout.
/// - Updates (kind `update`; HTTP `/api/v1/swarm/costs`, WebSocket `cost_update`): the owner checks the principal,
///   journals and answers with the seq, which becomes the client's ack; served in arrival order on one queue; any
///   failure is `update_not_durable` (3 s timeout: the outcome is unknown, retry).
/// - Reads (kinds `status`, `solution`, `verify`; `QueryRelay`) and `DELETE` (kind `close`): the owner answers through the service's own read
///   path (`RemoteSessions.answerQueries`), so its access rules apply and the relayed body is its answer byte for
///   byte. Failures: `owner_unavailable` 503, `owner_timeout` 504 (5 s; verify 15 s), `session_not_found` 404,
///   `cluster_unavailable` 503. Answers over 16 MiB are refused (`too_large`): Redis drops pub/sub clients whose
///   output buffer passes 32 MB by default.
/// - Events: owners relay every event (wire JSON with its seq) through a fenced script to the capped stream
///   `solverd:s:{id}:events` and the channel `solverd:ev:{id}` — including those published before the registry
///   opened the session (the relay replays the hub first), and the final `session_closed` (the lease is kept until
///   the relay wrote it, then the keys are deleted). `RemoteFeeds` delivers them to subscribers on any node —
///   WebSocket subscriptions and NDJSON/SSE streams (`RemoteEventStream`) — catching up from the stream after
///   `since` first, each seq at most once and in order. HTTP streams ask the owner for the status first (existence,
///   access), beat like local ones, end after `session_closed` and cancel their feed when the client leaves.
///
/// ## Swarm (docs/design.md §7)
/// `cost_report`s travel as updates carrying a `CostReport`, so forwarding, journaling and replay need nothing
/// new; the owner's session combines them (`CostAggregator`, in SolverSession). Forwarding counts as a hop of
/// `propagation_depth`. Distributed verification: `ClusterNode` is the registry's `SwarmVerifier`; `SwarmVoting`
/// sends a session's `ProbeTask` to every healthy solverd node (the list refreshed each tick) on
/// `solverd:vote:{node}` and gathers their residuals for `SwarmTally` (⌊2N/3⌋ + 1 matching votes).
///
/// ## Not done yet
/// A resume point older than the retained event log is not detected on a non-owner (the stream starts at the oldest
/// retained event instead of answering `events_expired`: the log's trimming does not record the last seq it removed,
/// and seqs are shared with acks, so a gap before the first retained event proves nothing).
public enum SolverCluster {}
