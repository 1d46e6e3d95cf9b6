/// Makes the iterative method a client named. The one place that maps `MethodKind` to a type, so a new method is
/// registered by adding its `case` here.
public enum MethodFactory {
    /// A fresh method of `kind`; `preconditioner` applies to `cg` and `bicgstab` and is ignored by the others.
    ///
    /// Throws `invalid_argument` for an option out of range, and `unsupported_method` for `random_walk` (an
    /// estimator of single coordinates, see `RandomWalkEstimator`) and for `hybrid`, which must first be resolved
    /// against the matrix by `MethodSelector` (or run through `SolveDriver.run(_:kind:...)`).
    /// `analysis`: a symbolic analysis of the system's matrix already made for a direct `kind` (reused, not redone).
    public static func makeMethod(
        kind: MethodKind, preconditioner: PreconditionerKind = .none, options: MethodOptions = MethodOptions(),
        analysis: (any SparseFactorization)? = nil
    ) throws -> any IterativeMethod {
        switch kind {
        case .cholesky, .ldlt, .lu:
            return DirectSolver(kind: kind.factorization!, byteLimit: options.factorByteLimit,
                                analysis: analysis?.estimate.kind == kind.factorization ? analysis : nil)
        case .minres:
            // MINRES needs an SPD preconditioner: Jacobi becomes |diag| scaling inside MINRES.
            return MINRES(preconditioner: preconditioner.makePreconditioner())
        case .gmres:
            return GMRES(restart: 30, preconditioner: preconditioner.makePreconditioner())
        case .jacobi:
            return try Jacobi(weight: options.jacobiWeight)
        case .gaussSeidel:
            return try GaussSeidel(relaxation: options.relaxation)
        case .neumann:
            return NeumannSeries()
        case .cg:
            return ConjugateGradient(preconditioner: preconditioner.makePreconditioner())
        case .bicgstab:
            return BiCGSTAB(preconditioner: preconditioner.makePreconditioner())
        case .push:
            // Extension point: local push is `ForwardPush` in Live/ (written alongside the live-update layer).
            return ForwardPush()
        case .randomWalk:
            throw SolverError(.unsupportedMethod,
                              "random_walk estimates single coordinates (RandomWalkEstimator); it is not a full solver",
                              field: "method")
        case .hybrid:
            throw SolverError(.unsupportedMethod,
                              "hybrid is resolved against the matrix first: use MethodSelector.choose or SolveDriver.run(_:kind:)",
                              field: "method")
        }
    }
}
