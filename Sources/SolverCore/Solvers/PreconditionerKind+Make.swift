extension PreconditionerKind {
    /// A fresh preconditioner of this kind; nil for `none`.
    public func makePreconditioner() -> (any Preconditioner)? {
        switch self {
        case .none: nil
        case .jacobi: JacobiPreconditioner()
        case .ilu: IncompleteFactorization()
        }
    }
}
