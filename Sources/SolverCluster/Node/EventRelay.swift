import Foundation
import Glibc
import SolverSession
import SolverWire
import Synchronization

/// Carries owned sessions' events to Redis: each event goes to the session's capped event log and its pub/sub
/// channel in one fenced script call, so every node's subscribers see it and a client can resume elsewhere.
/// Sinks only enqueue (they run under the session's event lock); one writer thread pipelines what is queued.
final class EventRelay: Sendable {
    struct Item: Sendable {
        let sessionID: SessionID
        let seq: UInt64
        let type: String
        let json: [UInt8]
        /// The session's `session_closed` for good: once it is written, the node may forget the session.
        var final = false
    }

    private let client: RedisClient
    private let keys: ClusterKeys
    private let leases: LeaseTable
    private let logLength: Int
    private let queue = Mutex<[Item]>([])
    private let wake = DispatchSemaphore(value: 0)
    /// Items enqueued and items finished (written, refused or given up), for `flush`.
    private let progress = Mutex<(enqueued: UInt64, finished: UInt64)>((0, 0))

    init(client: RedisClient, keys: ClusterKeys, leases: LeaseTable, logLength: Int) {
        self.client = client
        self.keys = keys
        self.leases = leases
        self.logLength = logLength
    }

    /// Starts the writer; `ended` runs (on the writer thread) after a session's final event was written.
    func start(ended: @escaping @Sendable (SessionID) -> Void) {
        let thread = Thread { [self] in run(ended: ended) }
        thread.name = "solverd.cluster.relay"
        thread.start()
    }

    func enqueue(_ item: Item) {
        queue.withLock { $0.append(item) }
        progress.withLock { $0.enqueued += 1 }
        wake.signal()
    }

    /// Waits until everything enqueued so far is finished, at most `timeout` seconds. A hand-over calls it before
    /// releasing a lease: once the lease is gone the writer drops that session's events, and the new owner numbers
    /// its own after what reached the log, so an event still queued here would never reach other nodes.
    func flush(timeout: Double) {
        let target = progress.withLock { $0.enqueued }
        let deadline = DispatchTime.now() + timeout
        while progress.withLock({ $0.finished }) < target, DispatchTime.now() < deadline {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    private func finished(_ count: Int) { progress.withLock { $0.finished += UInt64(count) } }

    /// Drops each `iteration_update` that a later one of the same session in the same batch supersedes. They are
    /// progress frames: local subscribers that fall behind skip them the same way (the hub coalesces), and every
    /// other event — signals, verification results, rejections, the close — is kept. Under a stream of updates
    /// (a batch above `coalesceAbove`) this halves what Redis writes and fsyncs, and so what the journal's appends
    /// wait behind.
    static func newestProgress(_ items: [Item]) -> [Item] {
        var superseded = Set<SessionID>()
        var kept: [Item] = []
        kept.reserveCapacity(items.count)
        for item in items.reversed() {
            if item.type == "iteration_update", !superseded.insert(item.sessionID).inserted { continue }
            kept.append(item)
        }
        return kept.reversed()
    }

    /// Subscribes a relay sink to a session this node owns. A session starts solving as it is created, before the
    /// registry opens it here, so what it already published is replayed first (else nodes other than the owner
    /// never see its first events); only if those were already evicted does the relay start with the live ones.
    func attach(_ session: Session) {
        let sink = RelaySink(relay: self, sessionID: session.id)
        if (try? session.hub.subscribe(sink, since: 0)) == nil { _ = try? session.hub.subscribe(sink) }
    }

    /// How long the writer lets events gather before it writes them: superseded progress frames are dropped
    /// (`newestProgress`) and Redis gets one pipeline instead of many, at the cost of this much delay for
    /// subscribers on other nodes.
    static let gatherInterval = 0.002
    /// Progress frames are coalesced only when this many events gathered (the store is busy with a stream of
    /// updates); a calmer session's log holds every event the owner published, so any node replays the same.
    static let coalesceAbove = 32

    private func run(ended: @Sendable (SessionID) -> Void) {
        // Relaying is bulk work: behind the threads that answer clients and make updates durable when the CPU is
        // short (a positive nice needs no privilege; failure leaves the default).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)  // who 0: this thread (nice is per thread on Linux)
        while true {
            wake.wait()
            Thread.sleep(forTimeInterval: Self.gatherInterval)
            let taken = queue.withLock { q in
                defer { q.removeAll(keepingCapacity: true) }
                return q
            }
            var batch = taken.count > Self.coalesceAbove ? Self.newestProgress(taken) : taken
            finished(taken.count - batch.count)
            while !batch.isEmpty {
                let commands = batch.compactMap { item -> [RedisArgument]? in
                    guard let epoch = leases.epoch(item.sessionID) else { return nil }
                    let id = item.sessionID
                    return ClusterScripts.event.evalSHA(
                        keys: [RedisArgument(keys.epoch(id)), RedisArgument(keys.events(id)), RedisArgument(keys.eventChannel(id))],
                        args: [RedisArgument(epoch), RedisArgument(item.seq), RedisArgument(item.type), RedisArgument(item.json),
                               RedisArgument(logLength)])
                }
                do {
                    let replies = try client.pipeline(commands)
                    if replies.contains(where: \.isNoScript) {
                        try client.command(ClusterScripts.event.load).checked()
                        continue // resend the batch: refused entries had no effect, the rest are ignored duplicates
                    }
                    finished(batch.count)
                    for item in batch where item.final { ended(item.sessionID) }
                    batch.removeAll()
                } catch {
                    // Redis is away: keep the newest events and retry shortly (subscribers resume from the log).
                    if batch.count > 4096 {
                        finished(batch.count - 4096)
                        batch.removeFirst(batch.count - 4096)
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        }
    }
}

/// The relay's subscriber on an owned session: encodes each event as its wire JSON and queues it.
final class RelaySink: SessionEventSink {
    let relay: EventRelay
    let sessionID: SessionID
    init(relay: EventRelay, sessionID: SessionID) {
        self.relay = relay
        self.sessionID = sessionID
    }

    func offer(_ event: SessionEvent) -> Bool {
        if case .sessionClosed(let closed) = event.body, SessionCloseReason(rawValue: closed.reason)?.isHandover == true {
            return true // a handover, not the end of the session: other nodes carry on
        }
        var item = EventRelay.Item(sessionID: sessionID, seq: event.seq, type: event.body.typeName, json: WireEncoder.event(event))
        if case .sessionClosed = event.body { item.final = true }
        relay.enqueue(item)
        return true
    }

    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {}
}
