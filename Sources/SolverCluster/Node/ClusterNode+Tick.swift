import Foundation
import SolverCore
import SolverSession

/// The periodic work of a node (every third of the lease, or every heartbeat if shorter): heartbeat, lease renewal,
/// snapshots, takeovers.
extension ClusterNode {
    func tick() {
        do {
            try directory.beat(id: nodeID, address: address, kind: "solverd")
        } catch {
            // Redis away: everything below would fail the same way; leases run out on their own.
            expireLeasesIfUnrenewed()
            return
        }
        renewLeases()
        snapshotChangedSessions()
        adoptOrphans()
        refreshVoters()
    }

    /// The healthy solverd nodes vote in distributed verification rounds (external swarm nodes do not evaluate).
    private func refreshVoters() {
        guard let nodes = try? directory.list() else { return }
        voting.setPeers(nodes.filter { $0.healthy && $0.kind == "solverd" }.map(\.id))
    }

    /// Renews every lease in one round trip; a lost lease closes the local copy (reason `migrated`).
    private func renewLeases() {
        let held = leaseTable.all
        guard !held.isEmpty else {
            book.withLock { $0.lastRenewal = Self.uptime() }
            return
        }
        do {
            let lost = try leases.renew(held)
            book.withLock { $0.lastRenewal = Self.uptime() }
            for id in lost { drop(id, why: "lease lost to another node") }
        } catch {
            expireLeasesIfUnrenewed()
        }
    }

    /// Without a renewal for a whole lease, another node may own our sessions: stop writing and drop them.
    private func expireLeasesIfUnrenewed() {
        let last = book.withLock { $0.lastRenewal }
        guard Self.uptime() - last > Double(configuration.leaseMilliseconds) / 1000 else { return }
        for id in leaseTable.all.keys { drop(id, why: "lease could not be renewed (cluster store unreachable)") }
    }

    private func drop(_ id: SessionID, why: String) {
        leaseTable.remove(id)
        logger.warning("session given up", metadata: ["session_id": "\(id)", "reason": "\(why)"])
        registry?.close(id, reason: .migrated, message: "the session moved to another node (\(why)); reconnect and resume")
    }

    /// Snapshots owned sessions whose applied seq moved and whose last snapshot is older than the interval, and
    /// converged ones at once.
    private func snapshotChangedSessions() {
        guard let registry else { return }
        let now = Self.uptime()
        for (id, epoch) in leaseTable.all {
            guard let session = registry.session(id) else { continue }
            let seq = session.status.lastAppliedSeq
            let due = book.withLock { b -> Bool in
                let changed = seq != b.snapshotSeq[id]
                let converged = b.convergedDirty.contains(id)
                let old = now - (b.lastSnapshot[id] ?? 0) >= configuration.snapshotInterval
                return (changed && old) || (converged && changed)
            }
            guard due else { continue }
            let snapshot = session.snapshot()
            do {
                if try store.save(snapshot, epoch: epoch) {
                    book.withLock { b in
                        b.snapshotSeq[id] = snapshot.lastAppliedSeq
                        b.lastSnapshot[id] = now
                        b.convergedDirty.remove(id)
                    }
                } else {
                    drop(id, why: "fenced: a newer owner exists")
                }
            } catch {
                logger.warning("snapshot failed", metadata: ["session_id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Takes over sessions whose lease expired (owner died or handed them over).
    private func adoptOrphans() {
        guard !book.withLock({ $0.handingOver }), let ids = try? store.sessionIDs() else { return }
        let candidates = ids.filter { leaseTable.epoch($0) == nil }
        for id in candidates {
            let free: Bool
            do { free = try leases.holder(id) == nil } catch { continue }
            guard free else { continue }
            takeOver(id)
        }
    }

    /// Acquires the lease, restores the snapshot, replays the journal after its `lastAppliedSeq` under the
    /// original seqs, and continues numbering after everything the previous owner journaled or published.
    func takeOver(_ id: SessionID) {
        guard let registry, registry.session(id) == nil else { return }
        let started = Self.uptime()
        guard case .acquired(let epoch)? = try? leases.acquire(id) else { return }
        book.withLock { _ = $0.adopting.insert(id) }
        defer { book.withLock { _ = $0.adopting.remove(id) } }
        do {
            guard var snapshot = try store.loadSnapshot(id) else {
                // Usually the session just ended: its owner forgot it between our index read and our lease.
                if try store.isRegistered(id) {
                    logger.warning("orphan session without snapshot; forgetting it", metadata: ["session_id": "\(id)"])
                }
                try? store.forget(id)
                return
            }
            let entries = try store.journal(id, after: snapshot.lastAppliedSeq)
            let lastSeq = try store.lastSeqs(id)
            snapshot.nextSeq = max(snapshot.nextSeq, lastSeq + 1)
            leaseTable.set(id, epoch: epoch)
            let session = try registry.restore(snapshot)
            session.replay(entries.map { ($0.seq, $0.update) })
            let took = Self.uptime() - started
            book.withLock { $0.takeovers.append((id, took)) }
            logger.notice("session taken over", metadata: [
                "session_id": "\(id)", "epoch": "\(epoch)", "replayed": "\(entries.count)",
                "restore_ms": "\(Int(took * 1000))",
            ])
        } catch {
            leaseTable.remove(id)
            try? leases.release(id, epoch: epoch)
            logger.error("takeover failed", metadata: ["session_id": "\(id)", "error": "\(error)"])
        }
    }
}
