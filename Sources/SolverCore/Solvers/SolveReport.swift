/// The outcome of one `SolveDriver` run.
public struct SolveReport: Sendable, Equatable {
    public var status: ConvergenceStatus
    public var iterations: Int
    /// `‖b − A x‖₂`, recomputed exactly at the end.
    public var residualNorm: Double
    /// `residualNorm / ‖b‖₂` (0 when `b = 0`).
    public var relativeResidual: Double
    public var flops: Int
    /// What ran, e.g. `cg+ic0`; for a hybrid run with fallbacks, the last method.
    public var methodName: String
    /// Why this method ran (hybrid selection and fallbacks); nil when the client named it.
    public var reason: String?
    /// The method's own message when `status == .breakdown`, or the error that ended a fallback chain.
    public var detail: String?
    /// What the factorisation predicted and took, when a direct method ran.
    public var factorization: FactorizationSummary?

    public init(status: ConvergenceStatus, iterations: Int, residualNorm: Double, relativeResidual: Double,
                flops: Int, methodName: String, reason: String? = nil, detail: String? = nil) {
        self.status = status
        self.iterations = iterations
        self.residualNorm = residualNorm
        self.relativeResidual = relativeResidual
        self.flops = flops
        self.methodName = methodName
        self.reason = reason
        self.detail = detail
    }
}

/// A direct method's analysis and measured costs, for reports.
public struct FactorizationSummary: Sendable, Equatable {
    public var estimate: FactorizationEstimate
    /// Entries of the numeric factor.
    public var factorNonzeros: Int
    public var bytes: Int
    public var factorSeconds: Double
    /// The last solve with the factor.
    public var solveSeconds: Double
}
