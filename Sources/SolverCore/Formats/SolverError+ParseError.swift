extension SolverError {
    /// A `parse_error` in a text input: the message starts with the line number and `field` is `line N`, so
    /// both a human and a client can find the line.
    static func parseError(line: Int, _ message: String) -> SolverError {
        SolverError(.parseError, "line \(line): \(message)", field: "line \(line)")
    }
}
