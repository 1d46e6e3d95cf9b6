import Dispatch
import SolverCore
import SolverSecurity
import SolverServer
import SolverSession

/// Forwards cost updates for sessions owned by another node (RPC kind `update`): the owner submits the update —
/// journal first, so its ack is durable — and replies with the seq. Any failure is `update_not_durable`: without
/// a reply the update may or may not have been applied; the client retries and `old_value` guards make that safe.
final class UpdateForwarder: Sendable {
    typealias Completion = @Sendable (Result<UInt64, SolverError>) -> Void

    private let rpc: ClusterRPC
    static let kind = "update"
    static let timeout = 3.0

    init(rpc: ClusterRPC) { self.rpc = rpc }

    /// Serves updates forwarded to the sessions of `registry`, on one serial queue: submitted in arrival order,
    /// each answered when its journal append completes (the queue never waits for it).
    func serve(_ registry: SessionRegistry) {
        rpc.handle(Self.kind, on: DispatchQueue(label: "solverd.cluster.rpc.updates")) { request, respond in
            Self.submit(request, registry: registry) { respond($0.map { Array(String($0).utf8) }) }
        }
    }

    /// Sends `update` to the session's current owner; `completion` gets the owner's ack seq or an error.
    func forward(_ sessionID: SessionID, _ update: CostUpdate, principal: Principal, completion: @escaping Completion) {
        rpc.call(Self.kind, session: sessionID, principal: principal, body: update.encodeBinary(),
                 timeout: Self.timeout) { result in
            switch result {
            case .success(let body):
                guard let seq = UInt64(String(decoding: body, as: UTF8.self)) else {
                    return completion(.failure(SolverError(.updateNotDurable, "the owner sent an unreadable ack; the update is not known to be accepted — retry")))
                }
                completion(.success(seq))
            case .failure(let failure):
                completion(.failure(Self.error(failure, sessionID)))
            }
        }
    }

    private static func error(_ failure: ClusterRPC.Failure, _ id: SessionID) -> SolverError {
        switch failure {
        case .noOwner:
            return SolverError(.updateNotDurable,
                "session \(id) has no live owner right now (failover in progress?); the update was not accepted — retry", field: "session_id")
        case .unreachable(let owner):
            return SolverError(.updateNotDurable, "the owner of session \(id) (\(owner)) is unreachable; the update was not accepted — retry")
        case .timedOut:
            return SolverError(.updateNotDurable, "the owner of session \(id) did not confirm in time; the update is not known to be accepted — retry")
        case .store(let reason):
            return SolverError(.updateNotDurable, "cannot reach the cluster store (\(reason)); the update was not accepted — retry")
        case .refused(let error):
            return error
        }
    }

    /// The owner's side: checks the principal, then submits; `completion` gets the seq once journaled.
    private static func submit(_ request: RPCMessage.Request, registry: SessionRegistry,
                               completion: @escaping @Sendable (Result<UInt64, SolverError>) -> Void) {
        do {
            let id = try SessionID(validating: request.session)
            guard let target = registry.session(id) else {
                throw SolverError(.updateNotDurable, "session \(id) moved to another node; the update was not accepted — retry", field: "session_id")
            }
            if let denied = SessionAccess.denial(request.principal, target) { throw denied }
            target.submit(try CostUpdate.decodeBinary(request.body), completion: completion)
        } catch {
            completion(.failure(error as? SolverError ?? SolverError(.internal, "\(error)")))
        }
    }
}
