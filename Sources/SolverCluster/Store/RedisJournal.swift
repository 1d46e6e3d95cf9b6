import SolverCore
import SolverSession

/// The update journal on Redis streams (what `ClusterNode`, the `SessionJournal`, appends through): each accepted
/// update becomes entry `<seq>-0` of the session's journal stream, written by a fenced script (refused unless this
/// node's lease epoch is current). Appends go through a few `GroupCommit` lanes, each its own connection: a session
/// always uses the same lane, so its appends reach Redis in seq order (stream ids must grow), while concurrent
/// sessions batch into one round trip per lane and the lanes' round trips overlap — an append waits behind at most
/// its own lane's batch in flight. Nobody waits for any of it: outcomes arrive on the lanes' threads.
///
/// Durability is Redis's: run it with `appendonly yes` (and `appendfsync always` for fsync-before-ack); with
/// `waitReplicas` > 0 an update is acknowledged only once that many replicas have it too.
public final class RedisJournal: Sendable {
    let keys: ClusterKeys
    let leases: LeaseTable
    private let lanes: [GroupCommit]
    private let waitReplicas: Int

    /// One lane per client (give each its own connection).
    public init(clients: [RedisClient], keys: ClusterKeys, leases: LeaseTable, waitReplicas: Int = 0,
                waitTimeoutMilliseconds: Int = 1000) {
        precondition(!clients.isEmpty, "a journal needs at least one Redis client")
        self.keys = keys
        self.leases = leases
        self.waitReplicas = waitReplicas
        self.lanes = clients.map {
            GroupCommit(client: $0, scripts: ClusterScripts.all, waitReplicas: waitReplicas,
                        waitTimeoutMilliseconds: waitTimeoutMilliseconds)
        }
    }

    public convenience init(client: RedisClient, keys: ClusterKeys, leases: LeaseTable, waitReplicas: Int = 0,
                            waitTimeoutMilliseconds: Int = 1000) {
        self.init(clients: [client], keys: keys, leases: leases, waitReplicas: waitReplicas,
                  waitTimeoutMilliseconds: waitTimeoutMilliseconds)
    }

    /// The lane of a session: always the same one within this process.
    private func lane(_ id: SessionID) -> GroupCommit {
        lanes[Int(UInt(bitPattern: id.rawValue.hashValue) % UInt(lanes.count))]
    }

    /// Issues the append and returns at once; `completion` runs on the commit's thread, in issue order.
    public func append(sessionID: SessionID, seq: UInt64, update: CostUpdate,
                       completion: @escaping @Sendable (JournalOutcome) -> Void) {
        guard let epoch = leases.epoch(sessionID) else {
            let error = SolverError(.updateNotDurable, "this node no longer owns session \(sessionID); the update was not accepted — retry",
                                    field: "session_id")
            // Through the commit's queue like every outcome: never on the caller's thread, never ahead of earlier ones.
            return lane(sessionID).submit(nil) { _ in completion(.refused(error)) }
        }
        let command = ClusterScripts.append.evalSHA(
            keys: [RedisArgument(keys.epoch(sessionID)), RedisArgument(keys.journal(sessionID))],
            args: [RedisArgument(epoch), RedisArgument(seq), RedisArgument(update.encodeBinary())])
        lane(sessionID).submit(command) { [waitReplicas] result in
            completion(Self.outcome(result, sessionID: sessionID, waitReplicas: waitReplicas))
        }
    }

    private static func outcome(_ result: Result<GroupCommit.Written, RedisError>, sessionID: SessionID,
                                waitReplicas: Int) -> JournalOutcome {
        let written: GroupCommit.Written
        switch result {
        case .success(let w): written = w
        case .failure(let error):
            // The connection failed or timed out, perhaps after Redis ran the append: this node does not apply the
            // update, but a later owner replays whatever the journal holds. Say so rather than promise "not applied".
            return .refused(SolverError(.updateNotDurable,
                "the journal did not confirm the update (\(error.message)); it is not acknowledged and may or may not have been journaled — check last_applied_seq before resending"))
        }
        if written.reply.isFenced {
            // The lease keeper notices the lost lease at its next renewal and closes the local copy.
            return .refused(SolverError(.updateNotDurable, "this node lost the lease of session \(sessionID); the update was not accepted — retry",
                                        field: "session_id"))
        }
        if case .error(let message) = written.reply {
            return .refused(SolverError(.updateNotDurable, "the journal refused the update: \(message)"))
        }
        if let replicas = written.replicas, replicas < waitReplicas {
            return .unconfirmed(SolverError(.updateNotDurable,
                "the update was journaled but only \(replicas) of \(waitReplicas) Redis replicas confirmed it in time; it will be applied, but a failover of the Redis master could lose it — check last_applied_seq before resending"))
        }
        return .durable
    }

    /// Blocking form (tests): throws the refusal, or `update_not_durable` when unconfirmed.
    public func append(sessionID: SessionID, seq: UInt64, update: CostUpdate) throws {
        NonBlockingThread.checkMayBlock("RedisJournal.append waits for Redis")
        let outcome = HandOver<JournalOutcome>()
        append(sessionID: sessionID, seq: seq, update: update, completion: outcome.set)
        switch outcome.wait() {
        case .durable: return
        case .unconfirmed(let error), .refused(let error): throw error
        }
    }

    /// Largest pipeline sent so far.
    var largestBatch: Int { lanes.map(\.largestBatch).max() ?? 0 }
}
