import Dispatch
import SolverCore
import SolverSecurity
import SolverSession
import Synchronization

/// Request/reply between nodes over Redis pub/sub: a request goes to the session owner's RPC channel, the owner's
/// handler for its kind answers on the asker's channel. Every call completes exactly once: with the owner's reply,
/// or with a `Failure` saying why there was none (no owner, owner not listening, no reply in time, store away), so
/// callers can turn it into a clear error and never hang.
final class ClusterRPC: Sendable {
    typealias Reply = Result<[UInt8], SolverError>
    typealias Completion = @Sendable (Result<[UInt8], Failure>) -> Void
    /// Answers one request; `respond` may be called later, on any thread, once.
    typealias Handler = @Sendable (_ request: RPCMessage.Request, _ respond: @escaping @Sendable (Reply) -> Void) -> Void

    enum Failure: Error, Sendable {
        /// No node holds the session's lease (never existed, ended, or failover in progress).
        case noOwner
        /// The owner named by the lease has no subscriber on its channel (dead; its lease has not expired yet).
        case unreachable(owner: String)
        /// The owner did not answer within the call's timeout (paused, overloaded, or the reply was lost).
        case timedOut(owner: String, seconds: Double)
        /// Redis could not be reached.
        case store(String)
        /// The owner answered with an error.
        case refused(SolverError)
    }

    private let node: String
    private let keys: ClusterKeys
    private let client: RedisClient
    private let leases: LeaseStore
    private let pending = Mutex<(next: UInt64, waiting: [UInt64: Completion])>((1, [:]))
    private let handlers = Mutex<[String: (queue: DispatchQueue, handler: Handler)]>([:])
    /// Publishes requests and replies, and runs the timeouts.
    private let outbound = DispatchQueue(label: "solverd.cluster.rpc.out")

    init(node: String, keys: ClusterKeys, client: RedisClient, leases: LeaseStore) {
        self.node = node
        self.keys = keys
        self.client = client
        self.leases = leases
    }

    /// Waits, at most `timeout` seconds, until every request handed to a handler so far has run (answers go out as
    /// handlers run). A draining node calls it after its subscriber stopped and before it exits: a request it
    /// received but had not answered would otherwise leave its asker waiting for the whole call timeout.
    func drain(timeout: Double) {
        let queues = handlers.withLock { $0.values.map(\.queue) }
        let group = DispatchGroup()
        for queue in queues {
            group.enter()
            queue.async(flags: .barrier) { group.leave() }
        }
        _ = group.wait(timeout: .now() + timeout)
    }

    /// Serves requests of `kind` on `queue` (serial for kinds whose order matters).
    func handle(_ kind: String, on queue: DispatchQueue, _ handler: @escaping Handler) {
        handlers.withLock { $0[kind] = (queue, handler) }
    }

    /// Sends a request about `session` to its current owner.
    func call(_ kind: String, session: SessionID, principal: Principal, body: [UInt8], timeout: Double,
              completion: @escaping Completion) {
        let req = pending.withLock { p in
            defer { p.next += 1 }
            p.waiting[p.next] = completion
            return p.next
        }
        outbound.async { [self] in
            do {
                guard let owner = try leases.holder(session)?.node, !owner.isEmpty else { return finish(req, .failure(.noOwner)) }
                let request = RPCMessage.request(.init(req: req, from: node, kind: kind, session: session.rawValue,
                                                       principal: principal, body: body))
                let receivers = try client.command("PUBLISH", RedisArgument(keys.rpc(owner)), RedisArgument(request.encode()))
                    .checked().integer ?? 0
                guard receivers > 0 else { return finish(req, .failure(.unreachable(owner: owner))) }
                outbound.asyncAfter(deadline: .now() + timeout) { [self] in
                    finish(req, .failure(.timedOut(owner: owner, seconds: timeout)))
                }
            } catch {
                finish(req, .failure(.store("\(error)")))
            }
        }
    }

    private func finish(_ req: UInt64, _ result: Result<[UInt8], Failure>) {
        guard let completion = pending.withLock({ $0.waiting.removeValue(forKey: req) }) else { return }
        completion(result)
    }

    /// A message on this node's RPC channel (the pub/sub thread): a reply completes its call; a request goes to
    /// its kind's queue, and its answer back to the asker.
    func received(_ payload: [UInt8]) {
        switch RPCMessage.decode(payload) {
        case .reply(let req, let result)?:
            finish(req, result.mapError { .refused($0) })
        case .request(let request)?:
            let respond: @Sendable (Reply) -> Void = { [self] reply in
                let message = RPCMessage.reply(req: request.req, reply).encode()
                outbound.async { [self] in
                    _ = try? client.command("PUBLISH", RedisArgument(keys.rpc(request.from)), RedisArgument(message))
                }
            }
            guard let (queue, handler) = handlers.withLock({ $0[request.kind] }) else {
                return respond(.failure(SolverError(.internal, "this node does not serve '\(request.kind)' requests")))
            }
            queue.async { handler(request, respond) }
        case nil:
            break
        }
    }
}
