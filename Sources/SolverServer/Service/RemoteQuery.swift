import SolverCore
import SolverSecurity
import SolverSession

/// A read that a node not holding the session relays to its owner (cluster mode). The owner answers it exactly as
/// its own route would — same access rules for the principal, same JSON — so the relaying node only copies the body.
public enum RemoteQuery: Sendable, Hashable {
    /// `GET /api/v1/sessions/{id}` and `GET /api/v1/status/{id}`.
    case status
    /// `GET /api/v1/sessions/{id}/solution`; `indices` is the raw query value, checked by the owner (it knows n).
    case solution(indices: String?)
    /// `POST /api/v1/verify`, already decoded; the owner checks `indices` against n.
    case verify(probeCount: Int?, indices: [Int]?)
    /// `DELETE /api/v1/sessions/{id}`: the owner ends the session (not a read, but relayed and answered alike).
    case close

    /// The owner's 200 body, or the error it (or the relay) answered.
    public typealias Answer = Result<[UInt8], SolverError>
    /// The owner's side: answers `query` about a session held on this node for `principal`. `completion` may run
    /// on any thread.
    public typealias Answerer = @Sendable (_ query: RemoteQuery, _ id: SessionID, _ principal: Principal,
                                           _ completion: @escaping @Sendable (Answer) -> Void) -> Void
}
