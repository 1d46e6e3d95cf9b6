import SolverCore
import SolverSession

/// `subscribe`: start receiving a session's events, optionally replaying from `since_seq` and carrying
/// `watch_indices` of `x` in each `iteration_update`.
public struct SubscribeRequest: Sendable {
    public var sessionID: SessionID
    public var sinceSeq: UInt64?
    public var watchIndices: [Int]?

    public init(sessionID: SessionID, sinceSeq: UInt64? = nil, watchIndices: [Int]? = nil) {
        self.sessionID = sessionID
        self.sinceSeq = sinceSeq
        self.watchIndices = watchIndices
    }
}

extension SubscribeRequest {
    public static let typeName = "subscribe"

    /// Indices must be non-negative integers; their upper bound is the session's business.
    public static func decode(_ json: JSONValue) throws -> SubscribeRequest {
        let fields = try JSONFields(json, path: "")
        try fields.checkType(typeName)
        let watch = try fields.ints("watch_indices")
        if let k = watch?.firstIndex(where: { $0 < 0 }) {
            throw SolverError(.indexOutOfRange, "index \(watch![k]) is negative", field: "watch_indices[\(k)]")
        }
        return SubscribeRequest(sessionID: try fields.requiredSessionID(), sinceSeq: try fields.uint64("since_seq"),
                                watchIndices: watch)
    }
}
