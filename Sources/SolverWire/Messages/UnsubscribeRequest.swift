import SolverCore
import SolverSession

/// `unsubscribe`: stop receiving a session's events on this connection (the session keeps running).
public struct UnsubscribeRequest: Sendable {
    public var sessionID: SessionID

    public init(sessionID: SessionID) { self.sessionID = sessionID }
}

extension UnsubscribeRequest {
    public static let typeName = "unsubscribe"

    public static func decode(_ json: JSONValue) throws -> UnsubscribeRequest {
        let fields = try JSONFields(json, path: "")
        try fields.checkType(typeName)
        return UnsubscribeRequest(sessionID: try fields.requiredSessionID())
    }
}
