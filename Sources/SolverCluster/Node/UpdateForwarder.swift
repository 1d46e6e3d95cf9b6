import Dispatch
import Foundation
import SolverCore
import SolverServer
import SolverSession
import Synchronization

/// Forwards cost updates for sessions owned by another node, over Redis pub/sub (no extra port): the request goes
/// to the owner's RPC channel, the owner submits it (journal first, so its ack is durable) and replies on ours.
///
/// Request: `"U <req> <from> <session> <principal>\n"` + the binary update. Reply: `"A <req> <seq>"` or
/// `"E <req> <code>\n<message>"`. No reply within `timeout` → `update_not_durable` (the update may or may not have
/// been applied; the client retries and `old_value` guards make that safe).
final class UpdateForwarder: Sendable {
    typealias Completion = @Sendable (Result<UInt64, SolverError>) -> Void

    private let node: String
    private let keys: ClusterKeys
    private let client: RedisClient
    private let leases: LeaseStore
    private let pending = Mutex<(next: UInt64, waiting: [UInt64: Completion])>((1, [:]))
    private let outbound = DispatchQueue(label: "solverd.cluster.forward")
    private let inbound = DispatchQueue(label: "solverd.cluster.rpc")
    static let timeout = 3.0

    init(node: String, keys: ClusterKeys, client: RedisClient, leases: LeaseStore) {
        self.node = node
        self.keys = keys
        self.client = client
        self.leases = leases
    }

    /// Sends `update` to the session's current owner; `completion` gets the owner's ack seq or an error.
    func forward(_ sessionID: SessionID, _ update: CostUpdate, principal: String, completion: @escaping Completion) {
        let req = pending.withLock { p in
            defer { p.next += 1 }
            p.waiting[p.next] = completion
            return p.next
        }
        outbound.async { [self] in
            do {
                guard let owner = try leases.holder(sessionID)?.node, !owner.isEmpty else {
                    return finish(req, .failure(SolverError(.updateNotDurable,
                        "session \(sessionID) has no live owner right now (failover in progress?); the update was not accepted — retry",
                        field: "session_id")))
                }
                let head = Array("U \(req) \(node) \(sessionID) \(principal)\n".utf8)
                let receivers = try client.command("PUBLISH", RedisArgument(keys.rpc(owner)), RedisArgument(head + update.encodeBinary()))
                    .checked().integer ?? 0
                if receivers == 0 {
                    return finish(req, .failure(SolverError(.updateNotDurable,
                        "the owner of session \(sessionID) (\(owner)) is unreachable; the update was not accepted — retry", field: nil)))
                }
                outbound.asyncAfter(deadline: .now() + Self.timeout) { [self] in
                    finish(req, .failure(SolverError(.updateNotDurable,
                        "the owner of session \(sessionID) did not confirm in time; the update is not known to be accepted — retry", field: nil)))
                }
            } catch {
                finish(req, .failure(SolverError(.updateNotDurable, "cannot reach the cluster store (\(error)); the update was not accepted — retry", field: nil)))
            }
        }
    }

    private func finish(_ req: UInt64, _ result: Result<UInt64, SolverError>) {
        guard let completion = pending.withLock({ $0.waiting.removeValue(forKey: req) }) else { return }
        completion(result)
    }

    /// A message on this node's RPC channel. Requests are handled in arrival order on one queue.
    func received(_ payload: [UInt8], registry: SessionRegistry) {
        guard let kind = payload.first else { return }
        let headEnd = payload.firstIndex(of: 10) ?? payload.endIndex
        let head = String(decoding: payload[..<headEnd], as: UTF8.self).split(separator: " ").map(String.init)
        switch (kind, head.count) {
        case (UInt8(ascii: "A"), 3):
            if let req = UInt64(head[1]), let seq = UInt64(head[2]) { finish(req, .success(seq)) }
        case (UInt8(ascii: "E"), 3):
            let message = headEnd < payload.endIndex ? String(decoding: payload[(headEnd + 1)...], as: UTF8.self) : ""
            if let req = UInt64(head[1]) { finish(req, .failure(SolverError(SolverError.Code(rawValue: head[2]), message, field: nil))) }
        case (UInt8(ascii: "U"), 5):
            let body = headEnd < payload.endIndex ? Array(payload[(headEnd + 1)...]) : []
            inbound.async { [self] in serve(req: head[1], from: head[2], session: head[3], principal: head[4], body: body, registry: registry) }
        default:
            break
        }
    }

    private func serve(req: String, from: String, session: String, principal: String, body: [UInt8], registry: SessionRegistry) {
        let reply: String
        do {
            let id = try SessionID(validating: session)
            guard let target = registry.session(id) else {
                throw SolverError(.updateNotDurable, "session \(id) moved to another node; the update was not accepted — retry", field: "session_id")
            }
            guard target.mayBeUsed(by: principal) else {
                throw SolverError(.forbidden, "session \(id) belongs to another principal and is not shared with \(principal)", field: "session_id")
            }
            let seq = try target.submit(try CostUpdate.decodeBinary(body))
            reply = "A \(req) \(seq)"
        } catch let error as SolverError {
            reply = "E \(req) \(error.code.rawValue)\n\(error.message)"
        } catch {
            reply = "E \(req) internal\n\(error)"
        }
        _ = try? client.command("PUBLISH", RedisArgument(keys.rpc(from)), RedisArgument(reply))
    }
}
