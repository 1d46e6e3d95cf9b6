/// An error a client can act on: a stable machine-readable `code`, a human `message`, and the `field`
/// (a JSON-path-like name such as `matrix.data.col_pointers[3]`) that caused it, when one did.
///
/// Every layer throws this one type, so the wire layer maps codes to HTTP statuses in one place.
/// Other modules add codes through extensions of `SolverError.Code`.
public struct SolverError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A snake_case code, identical to the string sent on the wire.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }
    }

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

extension SolverError.Code {
    /// Structure of the matrix data is wrong (pointer arrays, lengths, ordering).
    public static let invalidMatrix: Self = "invalid_matrix"
    /// Two declared or implied sizes disagree.
    public static let dimensionMismatch: Self = "dimension_mismatch"
    /// An index lies outside its range.
    public static let indexOutOfRange: Self = "index_out_of_range"
    /// A value is NaN or infinite.
    public static let nonFinite: Self = "non_finite_value"
    /// The system has no rows or no entries.
    public static let empty: Self = "empty_matrix"
    /// The matrix is not square.
    public static let notSquare: Self = "not_square"
    /// A method that divides by the diagonal met a zero or missing diagonal entry.
    public static let zeroDiagonal: Self = "zero_diagonal"
    /// A compressed row or column repeats an index.
    public static let duplicateEntry: Self = "duplicate_entry"
    /// A size exceeds a configured limit.
    public static let tooLarge: Self = "too_large"
    /// An option or argument has a value outside what is accepted.
    public static let invalidArgument: Self = "invalid_argument"
    /// The requested method is unknown or cannot be applied to this matrix.
    public static let unsupportedMethod: Self = "unsupported_method"
    /// A text input (Matrix Market) could not be parsed.
    public static let parseError: Self = "parse_error"
    /// A `matrix_updates` entry's `old_value` did not match the live value.
    public static let oldValueMismatch: Self = "old_value_mismatch"
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
