/// Error constructors of the iterative methods.
extension SolverError {
    /// Row `row` has a zero or missing diagonal entry, which a method dividing by the diagonal cannot use.
    static func zeroDiagonal(row: Int) -> SolverError {
        SolverError(.zeroDiagonal, "row \(row) has a zero or missing diagonal entry", field: "matrix")
    }

    static func preconditionerBreakdown(_ message: String) -> SolverError {
        SolverError(.preconditionerBreakdown, message, field: "options.preconditioner")
    }
}
