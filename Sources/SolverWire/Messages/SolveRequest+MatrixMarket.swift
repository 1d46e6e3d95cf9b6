import Foundation
import SolverCore
import SolverSession

/// A solve request whose body is a Matrix Market file (`Content-Type: text/x-matrix-market`): the matrix comes
/// from the body, read by the streaming `MatrixMarketReader`; the rest from query parameters — `vector` (`ones`,
/// the default, `zeros`, or comma-separated numbers), `method`, `session_id`, and the options `tolerance`,
/// `max_iterations`, `preconditioner`, `relaxation`, `probe_count`, `verification_interval`,
/// `convergence_iterations`. Errors name the query parameter (or the body's line).
extension SolveRequest {
    public static let matrixMarketMediaType = "text/x-matrix-market"
    static let optionParameters: Set<String> = [
        "tolerance", "max_iterations", "preconditioner", "relaxation", "probe_count", "verification_interval",
        "convergence_iterations",
    ]

    /// Decodes the request; also returns the JSON body it stands for (without the matrix), for the members a
    /// server reads from a JSON body besides the spec. Query names in `ignoring` belong to the route (`until`).
    public static func decode(matrixMarket body: [UInt8], query: [(name: String, value: String)], limits: MatrixLimits,
                              ignoring: Set<String> = []) throws -> (SolveRequest, JSONValue) {
        var members: [String: JSONValue] = [:]
        var options: [String: JSONValue] = [:]
        var vector = "ones"
        for (name, value) in query where !ignoring.contains(name) {
            switch name {
            case "method", "session_id": members[name] = .string(value)
            case "vector": vector = value
            case "preconditioner": options[name] = .string(value)
            case let option where optionParameters.contains(option):
                guard let number = Double(value) else {
                    throw SolverError(.invalidType, "expected a number, got '\(value)'", field: name)
                }
                options[name] = .number(number)
            default:
                let known = (["vector", "method", "session_id"] + optionParameters.sorted() + ignoring.sorted()).joined(separator: ", ")
                throw SolverError(.invalidArgument, "unknown query parameter; use \(known)", field: name)
            }
        }
        if !options.isEmpty { members["options"] = .object(options) }
        let fields = try JSONFields(.object(members), path: "")
        let sessionOptions: SessionOptions
        do {
            sessionOptions = try SessionOptions(request: fields)
        } catch var error as SolverError {
            // The JSON decoder names `options.tolerance`; here the client wrote `tolerance`.
            error.field = error.field.map { $0.hasPrefix("options.") ? String($0.dropFirst(8)) : $0 }
            throw error
        }
        var reader = MatrixMarketReader(limits: limits)
        try reader.feed(bytes: body[...])
        let matrix = try reader.finish()
        let b = try rightHandSide(vector, rows: matrix.rows)
        members["vector"] = .numbers(b)
        let spec = SessionSpec(id: try fields.sessionID(), matrix: matrix, rightHandSide: b, options: sessionOptions)
        return (SolveRequest(spec: spec), .object(members))
    }

    /// `ones`, `zeros` or comma-separated numbers (their count is checked against the matrix when the session is made).
    static func rightHandSide(_ text: String, rows: Int) throws -> [Double] {
        switch text {
        case "ones": return [Double](repeating: 1, count: rows)
        case "zeros": return [Double](repeating: 0, count: rows)
        default:
            return try text.split(separator: ",", omittingEmptySubsequences: false).enumerated().map { k, item in
                guard let v = Double(item.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw SolverError(.invalidType, "expected ones, zeros or comma-separated numbers; entry \(k) is '\(item)'",
                                      field: "vector")
                }
                return v
            }
        }
    }
}
