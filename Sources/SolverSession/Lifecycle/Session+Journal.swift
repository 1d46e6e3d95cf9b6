import Dispatch
import SolverCore

/// The journal hook of `submit`, and replay of journaled updates after a restore (cluster failover).
extension Session {
    /// Appends under the inbox lock; any failure becomes `update_not_durable` (the seq stays unused).
    static func journal(_ update: CostUpdate, seq: UInt64, session: SessionID, to journal: any SessionJournal) throws {
        do {
            try journal.append(sessionID: session, seq: seq, update: update)
        } catch let error as SolverError where error.code == .updateNotDurable {
            throw error
        } catch {
            throw SolverError(.updateNotDurable, "the update could not be made durable (\(error)); it was not accepted", field: nil)
        }
    }

    /// Queues updates that were already accepted and journaled (by a previous owner) under their original seqs,
    /// without journaling or acknowledging them again. Entries must come in increasing seq order and above the
    /// restored `lastAppliedSeq`; the hub must already continue beyond the largest (see `RestoredState.nextSeq`).
    public func replay(_ entries: [(seq: UInt64, update: CostUpdate)]) {
        guard !entries.isEmpty else { return }
        inbox.withLock { box in
            box.updates.append(contentsOf: entries)
            box.lastActivity = EventHub.now()
        }
        scheduler.schedule(self)
    }
}
