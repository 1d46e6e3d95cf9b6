import SolverCore
import SolverSession

/// The update journal on Redis streams (what `ClusterNode`, the `SessionJournal`, appends through): each accepted update becomes entry `<seq>-0` of the session's journal stream,
/// written by a fenced script (refused unless this node's lease epoch is current). Appends from all sessions share
/// one connection through `GroupCommit`, so concurrent sessions batch into one round trip.
///
/// Durability is Redis's: run it with `appendonly yes` (and `appendfsync always` for fsync-before-ack).
public final class RedisJournal: Sendable {
    let keys: ClusterKeys
    let leases: LeaseTable
    private let commit: GroupCommit

    public init(client: RedisClient, keys: ClusterKeys, leases: LeaseTable) {
        self.keys = keys
        self.leases = leases
        self.commit = GroupCommit(client: client, scripts: ClusterScripts.all)
    }

    public func append(sessionID: SessionID, seq: UInt64, update: CostUpdate) throws {
        guard let epoch = leases.epoch(sessionID) else {
            throw SolverError(.updateNotDurable, "this node no longer owns session \(sessionID); the update was not accepted — retry",
                              field: "session_id")
        }
        let command = ClusterScripts.append.evalSHA(
            keys: [RedisArgument(keys.epoch(sessionID)), RedisArgument(keys.journal(sessionID))],
            args: [RedisArgument(epoch), RedisArgument(seq), RedisArgument(update.encodeBinary())])
        let reply: RESPValue
        do {
            reply = try commit.run(command)
        } catch let error as RedisError {
            throw SolverError(.updateNotDurable, "the update could not be journaled (\(error.message)); it was not accepted — retry",
                              field: nil)
        }
        if reply.isFenced {
            // The lease keeper notices the lost lease at its next renewal and closes the local copy.
            throw SolverError(.updateNotDurable, "this node lost the lease of session \(sessionID); the update was not accepted — retry",
                              field: "session_id")
        }
        if case .error(let message) = reply {
            throw SolverError(.updateNotDurable, "the journal refused the update: \(message)", field: nil)
        }
    }

    /// Largest pipeline sent so far.
    var largestBatch: Int { commit.largestBatch }
}
