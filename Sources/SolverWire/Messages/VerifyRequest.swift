import SolverCore
import SolverSession

/// `verify` (docs/design.md §3.5): run a verification now, on `probe_count` random rows or on the given `indices`.
public struct VerifyRequest: Sendable {
    public var sessionID: SessionID
    /// 1...100 when given; the session's configured count otherwise.
    public var probeCount: Int?
    public var indices: [Int]?

    public init(sessionID: SessionID, probeCount: Int? = nil, indices: [Int]? = nil) {
        self.sessionID = sessionID
        self.probeCount = probeCount
        self.indices = indices
    }
}

extension VerifyRequest {
    public static let typeName = "verify"
    public static let probeCountRange = 1...100

    public static func decode(_ json: JSONValue) throws -> VerifyRequest {
        let fields = try JSONFields(json, path: "")
        try fields.checkType(typeName)
        let id = try fields.requiredSessionID()
        let probeCount = try fields.int("probe_count")
        if let probeCount, !probeCountRange.contains(probeCount) {
            throw SolverError(.invalidArgument, "must be in 1...100, got \(probeCount)", field: "probe_count")
        }
        let indices = try fields.ints("indices")
        if let indices, let k = indices.firstIndex(where: { $0 < 0 }) {
            throw SolverError(.indexOutOfRange, "index \(indices[k]) is negative", field: "indices[\(k)]")
        }
        return VerifyRequest(sessionID: id, probeCount: probeCount, indices: indices)
    }
}
