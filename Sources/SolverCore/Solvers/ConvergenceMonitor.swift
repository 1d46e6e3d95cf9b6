/// Decides from a stream of residual norms whether a solve is running, converged, diverged, stagnated or out of
/// iterations. Independent of any method or driver, so the session scheduler feeds it the same way `SolveDriver`
/// does: `start` once with the initial residual, then `record` after every step.
public struct ConvergenceMonitor: Sendable, Equatable {
    public let targetNorm: Double
    public let maxIterations: Int
    public let stagnationWindow: Int
    public let minimumImprovement: Double
    public let divergenceFactor: Double

    public private(set) var iterations = 0
    public private(set) var lastNorm = Double.infinity
    public private(set) var bestNorm = Double.infinity
    public private(set) var status = ConvergenceStatus.running
    /// The best norm when it last improved by at least `minimumImprovement`, and the step it happened at.
    private var referenceNorm = Double.infinity
    private var referenceIteration = 0

    /// `targetNorm` is absolute: pass `tolerance · ‖b‖`.
    public init(targetNorm: Double, maxIterations: Int, stagnationWindow: Int = 50,
                minimumImprovement: Double = 1e-3, divergenceFactor: Double = 1e8) {
        self.targetNorm = targetNorm
        self.maxIterations = maxIterations
        self.stagnationWindow = max(1, stagnationWindow)
        self.minimumImprovement = minimumImprovement
        self.divergenceFactor = divergenceFactor
    }

    /// A monitor for `options` on a system whose right-hand side has norm `rightHandSideNorm`.
    public init(options: SolveOptions, rightHandSideNorm: Double) {
        self.init(targetNorm: options.tolerance * rightHandSideNorm, maxIterations: options.maxIterations,
                  stagnationWindow: options.stagnationWindow, minimumImprovement: options.minimumImprovement,
                  divergenceFactor: options.divergenceFactor)
    }

    /// Records the residual before the first step (a warm start may already be converged). Resets the counters.
    @discardableResult
    public mutating func start(residualNorm: Double) -> ConvergenceStatus {
        iterations = 0
        bestNorm = .infinity
        referenceNorm = .infinity
        referenceIteration = 0
        status = .running
        return observe(residualNorm)
    }

    /// Records the residual after one more step; `counting: false` records a residual that no step produced (a
    /// residual recomputed after a restart).
    @discardableResult
    public mutating func record(residualNorm: Double, counting: Bool = true) -> ConvergenceStatus {
        guard !status.isFinal else { return status }
        if counting { iterations += 1 }
        return observe(residualNorm)
    }

    /// Marks a breakdown reported by the method.
    public mutating func recordBreakdown() { status = .breakdown }

    /// Allows more steps after a final status (a restart from the true residual, a fallback method), keeping the
    /// iteration count and best norm.
    public mutating func resume() {
        status = .running
        referenceNorm = bestNorm
        referenceIteration = iterations
    }

    private mutating func observe(_ norm: Double) -> ConvergenceStatus {
        lastNorm = norm
        if !norm.isFinite || norm > divergenceFactor * bestNorm {
            status = .diverged
            return status
        }
        bestNorm = min(bestNorm, norm)
        if norm < referenceNorm * (1 - minimumImprovement) {
            referenceNorm = norm
            referenceIteration = iterations
        }
        if norm <= targetNorm {
            status = .converged
        } else if iterations >= maxIterations {
            status = .maxIterations
        } else if iterations - referenceIteration >= stagnationWindow {
            status = .stagnated
        }
        return status
    }
}
