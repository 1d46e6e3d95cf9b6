/// Error codes and constructors of the iterative methods.
extension SolverError.Code {
    /// An incomplete factorisation met a pivot it cannot use (IC(0): ≤ 0; ILU(0): zero). The caller can fall back
    /// to another preconditioner.
    public static let preconditionerBreakdown: Self = "preconditioner_breakdown"
    /// A method that needs a diagonally dominant matrix (the random-walk estimator) was given one that is not.
    public static let notDiagonallyDominant: Self = "not_diagonally_dominant"
}

extension SolverError {
    /// Row `row` has a zero or missing diagonal entry, which a method dividing by the diagonal cannot use.
    static func zeroDiagonal(row: Int) -> SolverError {
        SolverError(.zeroDiagonal, "row \(row) has a zero or missing diagonal entry", field: "matrix")
    }

    static func preconditionerBreakdown(_ message: String) -> SolverError {
        SolverError(.preconditionerBreakdown, message, field: "options.preconditioner")
    }
}
