import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// Session creation shared by HTTP and WebSocket: ownership, sharing, verification defaults, metrics and the log.
extension SolverService {
    /// Creates a session owned by `principal` (unless the server is open), shared with the request's `share`
    /// list, with the configured verification defaults where the request gave none.
    func createSession(_ spec: SessionSpec, json: JSONValue, principal: Principal) throws -> Session {
        var spec = spec
        if !gate.isOpen { spec.owner = principal.name }
        let options = json["options"]
        if options?["verification_interval"] == nil { spec.options.verificationInterval = configuration.verificationInterval }
        if options?["probe_count"] == nil { spec.options.probeCount = configuration.probeCount }
        spec.sharedWith = try Self.shareList(json["share"])
        let session = try registry.create(spec)
        metrics.sessionsCreated.increment()
        logger.info("session created", metadata: [
            "session_id": "\(session.id)", "principal": "\(principal.name)", "rows": "\(session.dimension)",
            "shared_with": "\(spec.sharedWith.sorted().joined(separator: ","))",
        ])
        return session
    }

    /// `share`: principals (strings) that may use the session besides its owner.
    static func shareList(_ value: JSONValue?) throws -> Set<String> {
        guard let value, value != .null else { return [] }
        guard let elements = value.arrayElements else {
            throw SolverError(.invalidType, "expected an array of principal names, got \(value.typeDescription)", field: "share")
        }
        return Set(try elements.enumerated().map { k, element in
            guard case .string(let name) = element, !name.isEmpty else {
                throw SolverError(.invalidType, "expected a principal name", field: "share[\(k)]")
            }
            return name
        })
    }
}
