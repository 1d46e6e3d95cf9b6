import Dispatch
import Foundation
import Logging
import SolverCore
import SolverSecurity
import SolverSession
import SolverServer
import Synchronization

/// One solverd node in cluster mode. It is the registry's `SessionJournal`: sessions created or restored here take
/// a lease (fenced by an epoch) and relay their events to Redis; every accepted update is journaled before its ack;
/// a timer renews leases, heartbeats, snapshots changed sessions and adopts sessions whose owner died.
///
/// Threads: journal appends run on the callers' threads (group commit); the timer on `tickQueue`; pub/sub on the
/// subscriber's thread; requests from other nodes on the RPC handlers' queues (`ClusterRPC`). Redis being away never throws past this type:
/// appends fail with `update_not_durable`, timers retry on their next tick.
public final class ClusterNode: SessionJournal, @unchecked Sendable {
    public let configuration: ClusterConfiguration
    public let leaseTable = LeaseTable()
    let logger: Logger
    let journal: RedisJournal
    let leases: LeaseStore
    let store: SessionStore
    let directory: NodeDirectory
    let relay: EventRelay
    public let feeds: RemoteFeeds
    let rpc: ClusterRPC
    let forwarder: UpdateForwarder
    let voting: SwarmVoting
    let queries: QueryRelay
    private var subscriber: RedisSubscriber?
    private let tickQueue = DispatchQueue(label: "solverd.cluster.tick")
    private var timer: DispatchSourceTimer?
    /// Set once by `start`; read by hooks that run later.
    private let registryBox = Mutex<SessionRegistry?>(nil)
    private let addressBox = Mutex("")
    var address: String { addressBox.withLock { $0 } }

    struct Bookkeeping {
        /// lastAppliedSeq at the last snapshot, per owned session.
        var snapshotSeq: [SessionID: UInt64] = [:]
        var lastSnapshot: [SessionID: Double] = [:]
        /// Sessions that converged since their last snapshot.
        var convergedDirty: Set<SessionID> = []
        /// Uptime (s) of the last successful lease renewal.
        var lastRenewal = 0.0
        /// Draining: adopt nothing more (a session adopted now would leave with this process, lease held).
        var handingOver = false
        var takeovers: [(SessionID, Double)] = []
        /// Sessions whose lease this node took and which it is restoring (not in the registry yet).
        var adopting: Set<SessionID> = []
    }
    let book = Mutex(Bookkeeping())

    public init(configuration: ClusterConfiguration, logger: Logger = Logger(label: "solverd.cluster")) {
        self.configuration = configuration
        self.logger = logger
        let keys = configuration.keys, node = configuration.nodeID
        func client(_ timeout: Double = 2) -> RedisClient {
            var options = RedisClient.Options()
            options.commandTimeout = timeout
            return RedisClient(endpoint: configuration.endpoint, options: options)
        }
        let journalTimeout = 1 + Double(configuration.waitTimeoutMilliseconds) / 1000
        journal = RedisJournal(clients: (0..<configuration.journalLanes).map { _ in client(journalTimeout) }, keys: keys,
                               leases: leaseTable, waitReplicas: configuration.waitReplicas,
                               waitTimeoutMilliseconds: configuration.waitTimeoutMilliseconds)
        let control = client()
        leases = LeaseStore(client: control, keys: keys, node: node, leaseMilliseconds: configuration.leaseMilliseconds)
        store = SessionStore(client: client(10), keys: keys, snapshotTTLMilliseconds: Int(configuration.maxSessionDuration * 1000))
        directory = NodeDirectory(client: control, keys: keys, heartbeatInterval: configuration.heartbeatInterval)
        relay = EventRelay(client: client(), keys: keys, leases: leaseTable, logLength: configuration.eventLogLength)
        feeds = RemoteFeeds(store: SessionStore(client: client(), keys: keys, snapshotTTLMilliseconds: 0))
        rpc = ClusterRPC(node: node, keys: keys, client: client(), leases: LeaseStore(
            client: client(), keys: keys, node: node, leaseMilliseconds: configuration.leaseMilliseconds))
        voting = SwarmVoting(node: node, keys: keys, client: client(), faulty: configuration.faultInjectWrongResiduals,
                             timeout: configuration.voteTimeout)
        if configuration.faultInjectWrongResiduals {
            logger.warning("fault injection: this node answers verification rounds with wrong residuals")
        }
        forwarder = UpdateForwarder(rpc: rpc)
        queries = QueryRelay(rpc: rpc, store: SessionStore(client: client(), keys: keys, snapshotTTLMilliseconds: 0))
    }

    var registry: SessionRegistry? { registryBox.withLock { $0 } }
    public var nodeID: String { configuration.nodeID }
    static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Starts the relay, pub/sub and the timer. `registry` must have been created with this node as its journal;
    /// `address` (`host:port` of the service) is what the node list shows.
    public func start(registry: SessionRegistry, address: String) {
        registryBox.withLock { $0 = registry }
        addressBox.withLock { $0 = address }
        book.withLock { $0.lastRenewal = Self.uptime() }
        relay.start(ended: { [weak self] id in self?.ended(id) })
        forwarder.serve(registry)
        let keys = configuration.keys
        let subscriber = RedisSubscriber(
            endpoint: configuration.endpoint, channels: [keys.rpc(nodeID), keys.votes(nodeID)], patterns: [keys.eventPattern],
            onReconnect: { [feeds] in feeds.resynchronise() },
            handler: { [self] channel, payload in
                if let id = keys.sessionID(fromEventChannel: channel) {
                    feeds.received(id, payload: payload)
                } else if channel == keys.votes(nodeID) {
                    voting.received(payload)
                } else {
                    rpc.received(payload)
                }
            })
        subscriber.start()
        self.subscriber = subscriber
        let timer = DispatchSource.makeTimerSource(queue: tickQueue)
        timer.schedule(deadline: .now(), repeating: configuration.tickInterval, leeway: .milliseconds(10))
        timer.setEventHandler { [self] in tick() }
        timer.resume()
        self.timer = timer
    }

    // MARK: SessionJournal

    public func open(_ session: Session) throws {
        if leaseTable.epoch(session.id) == nil {
            let result: LeaseStore.Acquisition
            do { result = try leases.acquire(session.id) } catch {
                throw SolverError(.clusterUnavailable, "the cluster store is unreachable (\(error)); try again shortly", field: nil)
            }
            guard case .acquired(let epoch) = result else {
                throw SolverError(.duplicateSession, "session id \(session.id) is already in use in the cluster", field: "session_id")
            }
            leaseTable.set(session.id, epoch: epoch)
            // The first snapshot makes the session recoverable from its first update on.
            do {
                try store.register(session.id)
                guard try store.save(session.snapshot(), epoch: epoch) else { throw SolverError(.updateNotDurable, "fenced", field: nil) }
            } catch {
                leaseTable.remove(session.id)
                try? leases.release(session.id, epoch: epoch)
                throw SolverError(.clusterUnavailable, "the session could not be persisted (\(error)); try again shortly", field: nil)
            }
        }
        book.withLock { $0.snapshotSeq[session.id] = session.status.lastAppliedSeq; $0.lastSnapshot[session.id] = Self.uptime() }
        relay.attach(session)
        _ = try? session.hub.subscribe(ConvergenceWatcher(node: self, sessionID: session.id))
    }

    public func append(sessionID: SessionID, seq: UInt64, update: CostUpdate,
                       completion: @escaping @Sendable (JournalOutcome) -> Void) {
        journal.append(sessionID: sessionID, seq: seq, update: update, completion: completion)
    }

    /// `shutdown`: hand the session over (snapshot, release the lease; another node adopts it). `migrated`: it is
    /// already someone else's. Anything else ends it for good.
    public func close(_ id: SessionID, reason: SessionCloseReason, session: Session?) {
        book.withLock { $0.snapshotSeq[id] = nil; $0.lastSnapshot[id] = nil; $0.convergedDirty.remove(id) }
        switch reason {
        case .migrated:
            leaseTable.remove(id)
        case .shutdown:
            guard let epoch = leaseTable.epoch(id) else { return }
            if let session { _ = try? store.save(session.snapshot(), epoch: epoch) }
            relay.flush(timeout: 1)
            leaseTable.remove(id)
            try? leases.release(id, epoch: epoch)
            logger.info("session handed over", metadata: ["session_id": "\(id)"])
        case .closedByClient, .idleTimeout, .maxDuration, .refused:
            // The registry closes the journal before `Session.close` publishes `session_closed`: keep the lease
            // until the relay has written that event (fenced by it), so subscribers on every node see the end;
            // the relay then calls `ended`. The timer is the fallback should the event never come.
            guard leaseTable.epoch(id) != nil else { return }
            guard session != nil else { return ended(id) }
            tickQueue.asyncAfter(deadline: .now() + 2) { [self] in ended(id) }
        }
    }

    /// Forgets a session that ended for good: drops the lease and deletes its keys. Idempotent.
    func ended(_ id: SessionID) {
        guard leaseTable.remove(id) != nil else { return }
        try? store.forget(id)
    }

    // MARK: Remote sessions

    /// Forwards an update to the owner of a session not held here. Forwarding is a hop: an update with `propagation_depth` 0 may not take it (it was meant for the node it
    /// reached), and one with depth d reaches the owner with d − 1.
    public func forward(_ id: SessionID, _ update: CostUpdate, principal: Principal,
                        completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        var update = update
        if let depth = update.propagationDepth {
            guard depth > 0 else {
                return completion(.failure(SolverError(.propagationExhausted,
                    "propagation_depth 0 allows no further hop, and session \(id) is owned by another node; send it there or allow a hop",
                    field: "propagation_depth")))
            }
            update.propagationDepth = depth - 1
        }
        forwarder.forward(id, update, principal: principal, completion: completion)
    }

    /// The cluster's nodes with health (`ClusterMembership`: `GET /api/v1/status` and `/api/v1/swarm/nodes`).
    public func nodes() throws -> [NodeInfo] { try directory.list() }

    /// Registers an external swarm node (`POST /api/v1/swarm/join`); it stays healthy while it re-joins.
    public func join(nodeID: String, address: String) throws { try directory.beat(id: nodeID, address: address, kind: "external") }

    /// Current owner of a session.
    public func owner(of id: SessionID) throws -> String? { try leases.holder(id)?.node }

    /// (session, seconds since start) of each takeover, for tests and logs.
    public var takeovers: [(SessionID, Double)] { book.withLock { $0.takeovers } }

    /// Drain, step one (at the signal): adopt no more orphans, so the sessions handed over next go to other nodes
    /// and none is taken back and carried off by this exiting process. Leases keep being renewed meanwhile.
    public func beginHandover() { book.withLock { $0.handingOver = true } }

    /// Drain, last step: stops the timer and pub/sub and leaves the directory (after the sessions were handed over
    /// by `SessionRegistry.closeAll(reason: .shutdown)`), so the node drops out of the node list at once.
    public func shutdown() {
        timer?.cancel()
        subscriber?.stop()
        rpc.drain(timeout: 2)
        directory.leave(id: nodeID)
    }
}

extension ClusterNode: SwarmVerifier {
    public func collectVotes(_ task: ProbeTask, session: SessionID, completion: @escaping @Sendable ([SwarmVote]) -> Void) {
        voting.collect(task, completion: completion)
    }
}

/// Notes convergence of an owned session so the next tick snapshots it (a restored session then starts converged).
final class ConvergenceWatcher: SessionEventSink {
    weak let node: ClusterNode?
    let sessionID: SessionID
    init(node: ClusterNode, sessionID: SessionID) {
        self.node = node
        self.sessionID = sessionID
    }
    func offer(_ event: SessionEvent) -> Bool {
        if case .convergenceSignal(let signal) = event.body, signal.converged {
            node?.book.withLock { _ = $0.convergedDirty.insert(sessionID) }
        }
        return true
    }
    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {}
}

extension ClusterNode: RemoteSessions {
    public func subscribe(_ id: SessionID, since: UInt64?,
                          deliver: @escaping @Sendable (UInt64, String, [UInt8]) -> Void) -> @Sendable () -> Void {
        let token = feeds.add(id, since: since, deliver: deliver)
        return { [feeds] in feeds.remove(id, token) }
    }

    public func ask(_ id: SessionID, _ query: RemoteQuery, principal: Principal,
                    completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        queries.ask(id, query, principal: principal, completion: completion)
    }

    /// Other nodes ask the lease holder; while this node is still restoring a session it adopted, the session is
    /// not in its registry yet and the asker is told to retry (503), not that the session does not exist (404).
    public func answerQueries(with answerer: @escaping RemoteQuery.Answerer) {
        queries.install { [weak self] query, id, principal, completion in
            if let self, book.withLock({ $0.adopting.contains(id) }) {
                return completion(.failure(SolverError(.ownerUnavailable,
                    "session \(id) is being taken over by node \(nodeID); retry shortly", field: "session_id")))
            }
            answerer(query, id, principal, completion)
        }
    }

    public func sessionDirectory() throws -> [(id: SessionID, owner: String?)] {
        let ids = try store.sessionIDs().sorted { $0.rawValue < $1.rawValue }
        return zip(ids, try leases.holders(ids)).map { ($0, $1?.node) }
    }
}

/// `nodes()` above is the whole requirement: the status route lists the cluster through it.
extension ClusterNode: ClusterMembership {}
