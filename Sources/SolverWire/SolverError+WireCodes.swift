import SolverCore

/// Codes that arise while reading a message's structure. `invalid_json` is declared next to `JSONReader`.
/// Transport codes (`not_found`, `unauthorized`, …) belong to the server module, which declares them; the HTTP
/// mapping knows them by their strings.
extension SolverError.Code {
    /// A message `type` the server does not know (the message lists the valid ones).
    public static let unknownType: Self = "unknown_type"
    /// A field has the wrong JSON type (a string where a number belongs, a fractional index, …).
    public static let invalidType: Self = "invalid_type"
    /// A required field is absent.
    public static let missingField: Self = "missing_field"
}
