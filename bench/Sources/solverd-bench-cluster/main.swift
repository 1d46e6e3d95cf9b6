import Dispatch
import Foundation
import SolverCluster
import SolverConfig
import SolverCore
import SolverSession
import SolverTestSupport

/// `solverd-bench-cluster REDIS_URL`: durable acknowledged updates per second through `Session.submit` with the
/// Redis journal (one node, several sessions and submitting threads), and restore time of an n = 1e6 session
/// (snapshot load + decode + restore + journal replay). Prints one JSON object.
let url = CommandLine.arguments.dropFirst().first ?? "redis://127.0.0.1:6379"
guard let address = try? RedisAddress(url: url, key: "REDIS_URL"), !address.isSentinel, let server = address.servers.first else {
    fatalError("usage: solverd-bench-cluster redis://[USER:PASSWORD@]HOST:PORT")
}
let endpoint = RedisEndpoint(host: server.host, port: server.port, database: address.database,
                             credentials: address.password.map { .init(username: address.username, password: $0) })

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func makeNode(_ id: String) -> (ClusterNode, SessionRegistry) {
    var config = ClusterConfiguration(endpoint: endpoint, nodeID: id)
    config.leaseMilliseconds = 5000
    config.snapshotInterval = 3600
    let node = ClusterNode(configuration: config)
    var limits = SessionLimits()
    limits.maxMemoryBytes = 16 << 30
    let registry = SessionRegistry(limits: limits, journal: node)
    node.start(registry: registry, address: "bench")
    return (node, registry)
}

// 1. Durable acked updates per second.
let (_, registry) = makeNode("bench-a")
// One submitting thread per session (more threads than cores): concurrent appends share Redis round trips and fsyncs.
let threads = Int(ProcessInfo.processInfo.environment["BENCH_SESSIONS"] ?? "") ?? 64
let perThread = 200_000 / threads, side = 30
let sessions = try (0..<threads).map { _ in
    try registry.create(SessionSpec(matrix: MatrixGenerators.laplacian2D(side: side, shift: 0.5),
                                    rightHandSide: [Double](repeating: 1, count: side * side)))
}
let failures = Mutex2()
let start = now()
let group = DispatchGroup()
for t in 0..<threads {
    group.enter()
    Thread.detachNewThread {
        var rng = SplitMix64(seed: UInt64(t + 1))
        for _ in 0..<perThread {
            let i = Int(rng.next() % UInt64(side * side))
            do { _ = try sessions[t].submit(CostUpdate(deltaIndices: [i], deltaValues: [0.001])) } catch { failures.add() }
        }
        group.leave()
    }
}
group.wait()
let elapsed = now() - start
let rate = Double(threads * perThread - failures.count) / elapsed
for s in sessions { registry.close(s.id) }

// 2. Restore time for n = 1e6: snapshot → Redis, then load + decode + restore + replay 1,000 journaled updates.
let (nodeB, registryB) = makeNode("bench-b")
let big = 1000
let session = try registryB.create(SessionSpec(matrix: MatrixGenerators.laplacian2D(side: big, shift: 0.5),
                                               rightHandSide: [Double](repeating: 1, count: big * big)))
// A client retries an update refused as not durable (a store slower than the append timeout, e.g. a busy disk).
func submitRetrying(_ update: CostUpdate, to session: Session, attempts: Int = 20) throws {
    for attempt in 1... {
        do { _ = try session.submit(update); return } catch let error as SolverError where error.code == .updateNotDurable && attempt < attempts {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
for k in 0..<1000 { try submitRetrying(CostUpdate(deltaIndices: [k * 997 % (big * big)], deltaValues: [0.01]), to: session) }
let id = session.id
// Hand over as a drain would (without the snapshot: the replay then covers the 1,000 updates), then adopt elsewhere.
let store = SessionStore(client: RedisClient(endpoint: endpoint), keys: ClusterKeys(), snapshotTTLMilliseconds: 3_600_000)
let restoreStart = now()
let snapshot = try store.loadSnapshot(id)!
let loaded = now()
let entries = try store.journal(id, after: snapshot.lastAppliedSeq)
let replayLoaded = now()
_ = nodeB
let restoredRegistry = SessionRegistry()
let restored = try restoredRegistry.restore(snapshot)
restored.replay(entries.map { ($0.seq, $0.update) })
_ = try restored.readSolution(indices: [0])
let restoreEnd = now()

print("""
{"durable_updates_per_second": \(Int(rate)), "threads": \(threads), "updates": \(threads * perThread), \
"failed": \(failures.count), "restore_n": \(big * big), "restore_seconds": \(restoreEnd - restoreStart), \
"snapshot_load_seconds": \(loaded - restoreStart), "journal_read_seconds": \(replayLoaded - loaded), \
"replayed": \(entries.count), "snapshot_bytes": \(snapshot.encode().count)}
""")
exit(0)

final class Mutex2: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var count: Int { lock.withLock { n } }
}
