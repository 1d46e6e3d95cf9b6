import SolverCore
import SolverSession

/// `solve_request` (docs/design.md §3.1): creates a session. The matrix is fully validated while decoding, so a request
/// that decodes can only still fail on what needs the whole system (the length of `vector`, method suitability).
public struct SolveRequest: Sendable {
    /// `spec.id` comes from `session_id` when the client chose one.
    public var spec: SessionSpec

    public init(spec: SessionSpec) { self.spec = spec }
}

extension SolveRequest {
    public static let typeName = "solve_request"

    /// Decodes an HTTP body or WebSocket message; `type` may be absent. Cheap members are read before the
    /// matrix, so a mistyped option fails before megabytes of matrix are validated.
    public static func decode(_ json: JSONValue, limits: MatrixLimits) throws -> SolveRequest {
        let request = try JSONFields(json, path: "")
        try request.checkType(typeName)
        let id = try request.sessionID()
        let options = try SessionOptions(request: request)
        let b = try request.required("vector") { try request.doubles($0) }
        let x0 = try request.doubles("x0")
        guard let matrixValue = request["matrix"] else {
            throw SolverError(.missingField, "is required", field: "matrix")
        }
        let matrix = try MatrixInput(json: matrixValue, path: "matrix").decode(limits: limits, fieldPrefix: "matrix")
        return SolveRequest(spec: SessionSpec(id: id, matrix: matrix, rightHandSide: b, initialGuess: x0, options: options))
    }
}
