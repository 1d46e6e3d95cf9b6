import SolverCore
import SolverSession

/// Members every message shares: its `type` and the session it addresses.
extension JSONFields {
    /// A body posted to an endpoint that implies its type may omit `type`; when present it must be `expected`.
    package func checkType(_ expected: String) throws {
        guard let type = try string("type"), type != expected else { return }
        throw SolverError(.unknownType, "this endpoint accepts \"\(expected)\" messages, got \"\(type)\"",
                          field: fieldName("type"))
    }

    /// A well-formed `SessionID`, `nil` when absent.
    package func sessionID(_ key: String = "session_id") throws -> SessionID? {
        guard let raw = try string(key) else { return nil }
        return try SessionID(validating: raw, field: fieldName(key))
    }

    package func requiredSessionID(_ key: String = "session_id") throws -> SessionID {
        try required(key) { try sessionID($0) }
    }
}
