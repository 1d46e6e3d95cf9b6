import Dispatch
import SolverCore
import SolverSession
import Synchronization

/// The update journal on Redis streams (what `ClusterNode`, the `SessionJournal`, appends through): each accepted
/// update becomes entry `<seq>-0` of the session's journal stream, written by a fenced script (refused unless this
/// node's lease epoch is current). Appends from all sessions share one connection through `GroupCommit`, so
/// concurrent sessions batch into one round trip, and nobody waits for it: outcomes arrive on the commit's thread.
///
/// Durability is Redis's: run it with `appendonly yes` (and `appendfsync always` for fsync-before-ack); with
/// `waitReplicas` > 0 an update is acknowledged only once that many replicas have it too.
public final class RedisJournal: Sendable {
    let keys: ClusterKeys
    let leases: LeaseTable
    private let commit: GroupCommit
    private let waitReplicas: Int

    public init(client: RedisClient, keys: ClusterKeys, leases: LeaseTable, waitReplicas: Int = 0,
                waitTimeoutMilliseconds: Int = 1000) {
        self.keys = keys
        self.leases = leases
        self.waitReplicas = waitReplicas
        self.commit = GroupCommit(client: client, scripts: ClusterScripts.all, waitReplicas: waitReplicas,
                                  waitTimeoutMilliseconds: waitTimeoutMilliseconds)
    }

    /// Issues the append and returns at once; `completion` runs on the commit's thread, in issue order.
    public func append(sessionID: SessionID, seq: UInt64, update: CostUpdate,
                       completion: @escaping @Sendable (JournalOutcome) -> Void) {
        guard let epoch = leases.epoch(sessionID) else {
            let error = SolverError(.updateNotDurable, "this node no longer owns session \(sessionID); the update was not accepted — retry",
                                    field: "session_id")
            // Through the commit's queue like every outcome: never on the caller's thread, never ahead of earlier ones.
            return commit.submit(nil) { _ in completion(.refused(error)) }
        }
        let command = ClusterScripts.append.evalSHA(
            keys: [RedisArgument(keys.epoch(sessionID)), RedisArgument(keys.journal(sessionID))],
            args: [RedisArgument(epoch), RedisArgument(seq), RedisArgument(update.encodeBinary())])
        commit.submit(command) { [waitReplicas] result in
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
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<JournalOutcome?>(nil)
        append(sessionID: sessionID, seq: seq, update: update) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        switch outcome.withLock({ $0! }) {
        case .durable: return
        case .unconfirmed(let error), .refused(let error): throw error
        }
    }

    /// Largest pipeline sent so far.
    var largestBatch: Int { commit.largestBatch }
}
