import Foundation
import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// Status, solution and verify reads (and closing), wherever the session runs: answered here when the session is held here,
/// otherwise relayed to its owner (cluster mode), which answers through `answerLocally` too — so a non-owner's
/// answer is the owner's, byte for byte.
extension SolverService {
    /// Answers `query` on `reply`: locally, or relayed to the owner when the session is not held here.
    func answer(_ query: RemoteQuery, about id: SessionID, principal: Principal, reply: Reply) {
        let respond: @Sendable (RemoteQuery.Answer) -> Void = { answer in
            switch answer {
            case .success(let body): reply.json(200, body)
            case .failure(let error): reply.error(error)
            }
        }
        if registry.session(id) == nil, let remote = configuration.remoteSessions {
            remote.ask(id, query, principal: principal, completion: respond)
        } else {
            answerLocally(query, about: id, principal: principal, completion: respond)
        }
    }

    /// The answer for a session in this node's registry: 404 when there is none, 403 when `principal` may not use it.
    func answerLocally(_ query: RemoteQuery, about id: SessionID, principal: Principal,
                       completion: @escaping @Sendable (RemoteQuery.Answer) -> Void) {
        do {
            let session = try session(id, for: principal)
            switch query {
            case .status:
                completion(.success(WireEncoder.status(session.status)))
            case .solution(let text):
                let indices = try Self.solutionIndices(text, dimension: session.dimension)
                session.readSolution(indices: indices) { completion($0.map { WireEncoder.solution($0, sessionID: id) }) }
            case .verify(let probeCount, let indices):
                session.verify(probeCount: probeCount, indices: indices) { result in
                    completion(result.map { WireEncoder.verificationResult($0, sessionID: id, seq: nil) })
                }
            case .close:
                guard registry.close(id) else { throw SolverError(.sessionNotFound, "no session \(id)", field: "session_id") }
                completion(.success(WireEncoder.sessionDeleted(sessionID: id)))
            }
        } catch let refusal as GateRefusal {
            completion(.failure(refusal.error))
        } catch let error as SolverError {
            completion(.failure(error))
        } catch {
            logger.error("query failed", metadata: ["session_id": "\(id)", "error": "\(error)"])
            completion(.failure(SolverError(.internal, "internal error")))
        }
    }

    /// `?indices=3,7,9` → [3, 7, 9], each in 0..<dimension; nil when absent (the whole solution).
    static func solutionIndices(_ text: String?, dimension: Int) throws -> [Int]? {
        try text.map { list in
            try list.split(separator: ",").enumerated().map { k, part in
                guard let i = Int(part.trimmingCharacters(in: .whitespaces)), i >= 0, i < dimension else {
                    throw SolverError(.indexOutOfRange, "'\(part)' is not an index in 0..<\(dimension)", field: "indices[\(k)]")
                }
                return i
            }
        }
    }
}
