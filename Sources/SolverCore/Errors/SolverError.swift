/// An error a client can act on: a stable machine-readable `code`, a human `message`, and the `field`
/// (a JSON-path-like name such as `matrix.data.col_pointers[3]`) that caused it, when one did.
///
/// Every layer throws this one type. Its `code` comes from the one registry, `SolverError.Code`
/// (SolverError+Codes.swift), which also gives each code its HTTP status and WebSocket close code.
public struct SolverError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        if let field { return "\(code): \(field): \(message)" }
        return "\(code): \(message)"
    }
}

extension SolverError {
    static func invalidMatrix(_ message: String, field: String) -> SolverError {
        SolverError(.invalidMatrix, message, field: field)
    }
    static func dimensionMismatch(_ message: String, field: String) -> SolverError {
        SolverError(.dimensionMismatch, message, field: field)
    }
    static func indexOutOfRange(_ message: String, field: String) -> SolverError {
        SolverError(.indexOutOfRange, message, field: field)
    }
    static func nonFinite(field: String) -> SolverError {
        SolverError(.nonFinite, "value is NaN or infinite", field: field)
    }
    static func tooLarge(_ message: String, field: String) -> SolverError {
        SolverError(.tooLarge, message, field: field)
    }
    static func invalidArgument(_ message: String, field: String) -> SolverError {
        SolverError(.invalidArgument, message, field: field)
    }
}
