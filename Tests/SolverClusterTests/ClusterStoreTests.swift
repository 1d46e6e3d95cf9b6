import Foundation
import SolverCore
import SolverSession
import Synchronization
import Testing
@testable import SolverCluster

@Suite struct CostUpdateBinaryTests {
    @Test func roundTrips() throws {
        let update = CostUpdate(deltaIndices: [1, 5], deltaValues: [0.5, -1e-300],
                                matrixUpdates: [.init(row: 1, col: 2, oldValue: 3, newValue: 4), .init(row: 0, col: 0, newValue: -2)],
                                sourceNode: "node-a", propagationDepth: 3, timestamp: "2025-09-19T19:26:51.605Z")
        #expect(try CostUpdate.decodeBinary(update.encodeBinary()) == update)
        let bare = CostUpdate(deltaIndices: [0], deltaValues: [1])
        #expect(try CostUpdate.decodeBinary(bare.encodeBinary()) == bare)
        #expect(bare.encodeBinary().count < 64)
    }

    @Test func corruptRecordsThrow() {
        let bytes = CostUpdate(deltaIndices: [0], deltaValues: [1]).encodeBinary()
        #expect(throws: SolverError.self) { try CostUpdate.decodeBinary(Array(bytes.dropLast())) }
        #expect(throws: SolverError.self) { try CostUpdate.decodeBinary(bytes + [0]) }
        #expect(throws: SolverError.self) { try CostUpdate.decodeBinary([9] + bytes.dropFirst()) }
    }
}

@Suite(.enabled(if: RedisTestServer.isAvailable, "redis-server is not installed"))
struct ClusterStoreTests {
    let keys = ClusterKeys(prefix: "t")
    let id = try! SessionID(validating: "s1")

    @Test func leasesAreExclusiveAndEpochsGrow() throws {
        let redis = try #require(RedisTestServer())
        let a = LeaseStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, node: "a", leaseMilliseconds: 200)
        let b = LeaseStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, node: "b", leaseMilliseconds: 200)
        #expect(try a.acquire(id) == .acquired(epoch: 1))
        #expect(try b.acquire(id) == .held(by: "a", epoch: 1))
        #expect(try a.renew(id, epoch: 1))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try b.acquire(id) == .acquired(epoch: 2))
        #expect(try !a.renew(id, epoch: 1))
        #expect(try a.renew([id: 1]) == [id])
        #expect(try b.holder(id)?.node == "b")
        try b.release(id, epoch: 2)
        #expect(try b.holder(id) == nil)
    }

    @Test func journalAppendsAreFencedByEpoch() throws {
        let redis = try #require(RedisTestServer())
        let client = RedisClient(endpoint: redis.endpoint)
        let leases = LeaseStore(client: client, keys: keys, node: "a", leaseMilliseconds: 100)
        let table = LeaseTable()
        let journal = RedisJournal(client: RedisClient(endpoint: redis.endpoint), keys: keys, leases: table)
        guard case .acquired(let epoch) = try leases.acquire(id) else { Issue.record("no lease"); return }
        table.set(id, epoch: epoch)
        let update = CostUpdate(deltaIndices: [3], deltaValues: [0.25])
        try journal.append(sessionID: id, seq: 5, update: update)
        try journal.append(sessionID: id, seq: 9, update: update)
        // Another node takes the lease: the old epoch can no longer write.
        Thread.sleep(forTimeInterval: 0.15)
        let other = LeaseStore(client: client, keys: keys, node: "b", leaseMilliseconds: 1000)
        #expect(try other.acquire(id) == .acquired(epoch: epoch + 1))
        #expect { try journal.append(sessionID: id, seq: 10, update: update) } throws: { ($0 as? SolverError)?.code == .updateNotDurable }
        let store = SessionStore(client: client, keys: keys, snapshotTTLMilliseconds: 1000)
        let entries = try store.journal(id, after: 5)
        #expect(entries.map(\.seq) == [9])
        #expect(entries.first?.update == update)
        #expect(try store.lastSeqs(id) == 9)
    }

    @Test func concurrentAppendsShareRoundTrips() throws {
        let redis = try #require(RedisTestServer())
        let table = LeaseTable()
        let journal = RedisJournal(client: RedisClient(endpoint: redis.endpoint), keys: keys, leases: table)
        let ids = try (0..<8).map { try SessionID(validating: "c\($0)") }
        let leases = LeaseStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, node: "a", leaseMilliseconds: 10_000)
        for id in ids {
            guard case .acquired(let e) = try leases.acquire(id) else { return }
            table.set(id, epoch: e)
        }
        // One thread per session (more than the cores), so appends overlap and share pipelines.
        let done = DispatchGroup()
        for k in ids.indices {
            done.enter()
            Thread.detachNewThread {
                for seq in 1...200 { try! journal.append(sessionID: ids[k], seq: UInt64(seq), update: CostUpdate(deltaIndices: [k], deltaValues: [1])) }
                done.leave()
            }
        }
        done.wait()
        let store = SessionStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, snapshotTTLMilliseconds: 1000)
        for id in ids { #expect(try store.journal(id, after: 0).map(\.seq) == (1...200).map(UInt64.init)) }
        #expect(journal.largestBatch > 1)
    }

    @Test func appendsIssuedWithoutWaitingKeepEachSessionsOrderAcrossLanes() throws {
        let redis = try #require(RedisTestServer())
        let table = LeaseTable()
        let journal = RedisJournal(clients: (0..<3).map { _ in RedisClient(endpoint: redis.endpoint) }, keys: keys, leases: table)
        let ids = try (0..<12).map { try SessionID(validating: "lane\($0)") }
        let leases = LeaseStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, node: "a", leaseMilliseconds: 10_000)
        for id in ids {
            guard case .acquired(let e) = try leases.acquire(id) else { return }
            table.set(id, epoch: e)
        }
        // Every append issued at once from one thread, none waited for: outcomes come back in issue order per session.
        let outcomes = Mutex<[SessionID: [UInt64]]>([:])
        let done = DispatchGroup()
        for seq in 1...100 {
            for id in ids {
                done.enter()
                journal.append(sessionID: id, seq: UInt64(seq), update: CostUpdate(deltaIndices: [0], deltaValues: [1])) { outcome in
                    if outcome == .durable { outcomes.withLock { $0[id, default: []].append(UInt64(seq)) } }
                    done.leave()
                }
            }
        }
        #expect(done.wait(timeout: .now() + 20) == .success)
        let store = SessionStore(client: RedisClient(endpoint: redis.endpoint), keys: keys, snapshotTTLMilliseconds: 1000)
        for id in ids {
            #expect(outcomes.withLock { $0[id] } == (1...100).map(UInt64.init))
            #expect(try store.journal(id, after: 0).map(\.seq) == (1...100).map(UInt64.init))
        }
    }

    @Test func theRelayKeepsOnlyTheNewestProgressFramePerSessionAndEveryOtherEvent() throws {
        let a = try SessionID(validating: "ra"), b = try SessionID(validating: "rb")
        func item(_ id: SessionID, _ seq: UInt64, _ type: String) -> EventRelay.Item {
            EventRelay.Item(sessionID: id, seq: seq, type: type, json: [])
        }
        let batch = [item(a, 1, "iteration_update"), item(b, 2, "iteration_update"), item(a, 3, "convergence_signal"),
                     item(a, 4, "iteration_update"), item(a, 5, "verification_result"), item(b, 6, "update_rejected")]
        let kept = EventRelay.newestProgress(batch)
        #expect(kept.map(\.seq) == [2, 3, 4, 5, 6])
    }

    @Test func appendsFailCleanlyWhenRedisIsGone() throws {
        let redis = try #require(RedisTestServer())
        let table = LeaseTable()
        table.set(id, epoch: 1)
        let journal = RedisJournal(client: RedisClient(endpoint: redis.endpoint), keys: keys, leases: table)
        redis.stop()
        #expect {
            try journal.append(sessionID: id, seq: 1, update: CostUpdate(deltaIndices: [0], deltaValues: [1]))
        } throws: { ($0 as? SolverError)?.code == .updateNotDurable }
    }

    @Test func snapshotsAreFencedAndTrimTheJournal() throws {
        let redis = try #require(RedisTestServer())
        let client = RedisClient(endpoint: redis.endpoint)
        let registry = SessionRegistry()
        let session = try registry.create(SessionSpec(id: id, matrix: try CSRMatrix(rows: 2, cols: 2, rowPointers: [0, 1, 2],
                                                                                    colIndices: [0, 1], values: [2, 4]),
                                                      rightHandSide: [2, 4]))
        let leases = LeaseStore(client: client, keys: keys, node: "a", leaseMilliseconds: 10_000)
        guard case .acquired(let epoch) = try leases.acquire(id) else { return }
        let table = LeaseTable()
        table.set(id, epoch: epoch)
        let journal = RedisJournal(client: client, keys: keys, leases: table)
        for seq in 1...3 { try journal.append(sessionID: id, seq: UInt64(seq), update: CostUpdate(deltaIndices: [0], deltaValues: [1])) }
        var snapshot = session.snapshot()
        snapshot.lastAppliedSeq = 2
        let store = SessionStore(client: client, keys: keys, snapshotTTLMilliseconds: 60_000)
        #expect(try store.save(snapshot, epoch: epoch))
        #expect(try !store.save(snapshot, epoch: epoch + 7))
        #expect(try store.loadSnapshot(id) == snapshot)
        #expect(try store.journal(id, after: 0).map(\.seq) == [3])
        let ttl = try client.command("PTTL", RedisArgument(keys.snapshot(id))).integer ?? 0
        #expect(ttl > 50_000 && ttl <= 60_000)
    }
}
