import Dispatch
import Foundation
import SolverCluster
import SolverConfig
import SolverCore
import SolverSession
import SolverTestSupport

/// `solverd-bench-cluster REDIS_URL`: durable acknowledged updates per second through `Session.submit` with the
/// Redis journal (one node, 64 sessions with an update in flight each), and restore time of an n = 1e6 session
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

// 1. Durable acked updates per second, the way the server submits: `Session.submit(_:completion:)` never waits;
// each session keeps one update in flight and sends the next when the previous is acknowledged, so 64 updates are
// always waiting for the journal and concurrent sessions share Redis round trips and fsyncs. (The ack callback
// runs under the session's inbox lock and must only enqueue: the next update is submitted from a queue.)
let (_, registry) = makeNode("bench-a")
let concurrency = Int(ProcessInfo.processInfo.environment["BENCH_SESSIONS"] ?? "") ?? 64
let perSession = 200_000 / concurrency, side = 30
let sessions = try (0..<concurrency).map { _ in
    try registry.create(SessionSpec(matrix: MatrixGenerators.laplacian2D(side: side, shift: 0.5),
                                    rightHandSide: [Double](repeating: 1, count: side * side)))
}
let failures = Mutex2()
let next = DispatchQueue(label: "bench.next-update", attributes: .concurrent)
let group = DispatchGroup()
/// Submits update `k` of session `t`; its ack submits `k + 1`.
@Sendable func submit(_ t: Int, _ k: Int) {
    guard k < perSession else { return group.leave() }
    let i = (t * 7919 + k * 104_729) % (side * side)
    sessions[t].submit(CostUpdate(deltaIndices: [i], deltaValues: [0.001])) { result in
        if case .failure = result { failures.add() }
        next.async { submit(t, k + 1) }
    }
}
let start = now()
for t in 0..<concurrency {
    group.enter()
    submit(t, 0)
}
group.wait()
let elapsed = now() - start
let rate = Double(concurrency * perSession - failures.count) / elapsed
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
{"durable_updates_per_second": \(Int(rate)), "in_flight": \(concurrency), "updates": \(concurrency * perSession), \
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
