import SolverCore

/// Drives an iterative method on a live system until `‖r‖ ≤ tolerance · ‖b‖`, the stopping rule scipy's `cg` uses
/// (recurrence residual against `rtol · ‖b‖`).
enum LiveConvergence {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Steps `method` (already restarted) until converged; returns the steps taken. Throws on breakdown or when
    /// `maxSteps` run out.
    @discardableResult
    static func run(_ system: LiveSystem, _ method: any IterativeMethod, tolerance: Double, maxSteps: Int = 100_000) throws -> Int {
        var steps = 0
        while !isConverged(system, tolerance: tolerance) {
            guard steps < maxSteps else {
                throw Failure(description: "\(method.name) did not reach \(tolerance) in \(maxSteps) steps (at \(system.relativeResidual))")
            }
            let step = method.step(system)
            steps += 1
            if let breakdown = step.breakdown { throw Failure(description: "\(method.name): \(breakdown)") }
        }
        return steps
    }

    static func isConverged(_ system: LiveSystem, tolerance: Double) -> Bool {
        system.residualNorm <= tolerance * system.rightHandSideNorm
    }
}
