/// When a solve stops. Converged means `‖b − A x‖₂ ≤ tolerance · ‖b‖₂` (relative); `‖b‖ = 0` gives `x = 0` at once.
public struct SolveOptions: Sendable, Equatable {
    public var tolerance: Double
    public var maxIterations: Int
    /// Steps without a `minimumImprovement` relative improvement of the best residual before giving up.
    public var stagnationWindow: Int
    public var minimumImprovement: Double
    /// A residual above `divergenceFactor` × the best seen (or non-finite) is divergence.
    public var divergenceFactor: Double
    /// How often a run that converged on its recurrence residual but not on the recomputed true residual restarts
    /// the method from the true residual before reporting.
    public var residualReplacements: Int

    public init(
        tolerance: Double = 1e-8, maxIterations: Int = 10_000, stagnationWindow: Int = 50,
        minimumImprovement: Double = 1e-3, divergenceFactor: Double = 1e8, residualReplacements: Int = 3
    ) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.stagnationWindow = stagnationWindow
        self.minimumImprovement = minimumImprovement
        self.divergenceFactor = divergenceFactor
        self.residualReplacements = residualReplacements
    }

    /// Throws `invalid_argument` naming the option that is out of range.
    public func validate() throws {
        guard tolerance > 0, tolerance.isFinite else {
            throw SolverError.invalidArgument("tolerance must be positive and finite, got \(tolerance)", field: "options.tolerance")
        }
        guard maxIterations >= 0 else {
            throw SolverError.invalidArgument("max_iterations must not be negative, got \(maxIterations)", field: "options.max_iterations")
        }
        guard stagnationWindow > 0 else {
            throw SolverError.invalidArgument("stagnation window must be positive, got \(stagnationWindow)", field: "options.stagnation_window")
        }
    }
}
