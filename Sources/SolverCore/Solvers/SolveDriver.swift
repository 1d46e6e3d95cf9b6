/// Runs a method to completion on a live system: the loop behind the CLI and the tests. (The session scheduler
/// steps methods itself, with its own `ConvergenceMonitor`.)
///
/// Every run stops: on convergence, divergence, stagnation, a breakdown, or `maxIterations` total steps.
/// Convergence is judged on the method's residual and confirmed on the exactly recomputed `b − A x`; when rounding
/// made them disagree the method restarts from the true residual, at most `options.residualReplacements` times.
public enum SolveDriver {
    /// Runs `method` from the system's current `x` (a warm start). Throws when the method cannot apply to the
    /// matrix (`restart`'s errors: `zero_diagonal`, `preconditioner_breakdown`, ...) or an option is invalid.
    public static func run(_ system: LiveSystem, method: any IterativeMethod, options: SolveOptions = SolveOptions()) throws -> SolveReport {
        try options.validate()
        var monitor = ConvergenceMonitor(options: options, rightHandSideNorm: system.rightHandSideNorm)
        return try run(system, method: method, options: options, monitor: &monitor, flopsSoFar: 0)
    }

    /// Runs the method named by `kind`; `hybrid` picks one with `MethodSelector` and falls back along
    /// `MethodSelector.fallback(after:failure:)` when the choice cannot be built, diverges, stagnates or breaks
    /// down, spending at most `options.maxIterations` steps in total. The report's `reason` says what was chosen
    /// and why.
    public static func run(
        _ system: LiveSystem, kind: MethodKind, preconditioner: PreconditionerKind = .none,
        methodOptions: MethodOptions = MethodOptions(), options: SolveOptions = SolveOptions()
    ) throws -> SolveReport {
        guard kind == .hybrid else {
            let method = try MethodFactory.makeMethod(kind: kind, preconditioner: preconditioner, options: methodOptions)
            return try run(system, method: method, options: options)
        }
        try options.validate()
        var choice = MethodSelector.choose(for: MatrixProperties(system: system))
        var monitor = ConvergenceMonitor(options: options, rightHandSideNorm: system.rightHandSideNorm)
        var flops = 0
        while true {
            do {
                let method = try MethodFactory.makeMethod(kind: choice.kind, preconditioner: choice.preconditioner, options: methodOptions)
                var report = try run(system, method: method, options: options, monitor: &monitor, flopsSoFar: flops)
                report.reason = choice.reason
                let retryable: Set<ConvergenceStatus> = [.diverged, .stagnated, .breakdown]
                guard retryable.contains(report.status), monitor.iterations < options.maxIterations,
                      let next = MethodSelector.fallback(after: choice, failure: "\(report.methodName) \(report.status.rawValue)")
                else { return report }
                if report.status == .diverged { try system.replaceSolution([Double](repeating: 0, count: system.dimension)) }
                flops = report.flops
                choice = next
                monitor.resume()
                continue
            } catch let error as SolverError {
                guard let next = MethodSelector.fallback(after: choice, failure: error.message) else { throw error }
                choice = next
            }
        }
    }

    /// The loop shared by both entry points; `monitor` carries iterations across fallbacks.
    private static func run(
        _ system: LiveSystem, method: any IterativeMethod, options: SolveOptions,
        monitor: inout ConvergenceMonitor, flopsSoFar: Int
    ) throws -> SolveReport {
        let rightHandSideNorm = system.rightHandSideNorm
        var flops = flopsSoFar
        func report(_ status: ConvergenceStatus, detail: String? = nil) -> SolveReport {
            let norm = system.residualNorm
            return SolveReport(status: status, iterations: monitor.iterations, residualNorm: norm,
                               relativeResidual: rightHandSideNorm > 0 ? norm / rightHandSideNorm : 0,
                               flops: flops, methodName: method.name, detail: detail)
        }
        if rightHandSideNorm == 0 {
            try system.replaceSolution([Double](repeating: 0, count: system.dimension))
            return report(.converged)
        }
        try method.restart(system)
        var status = monitor.iterations == 0 ? monitor.start(residualNorm: system.residualNorm)
                                             : monitor.record(residualNorm: system.residualNorm, counting: false)
        var replacementsLeft = options.residualReplacements
        while true {
            while status == .running {
                let step = method.step(system)
                flops += step.flops
                if let breakdown = step.breakdown {
                    monitor.recordBreakdown()
                    system.recomputeResidual()
                    return report(.breakdown, detail: breakdown)
                }
                status = monitor.record(residualNorm: system.residualNorm)
            }
            // Confirm on the true residual; rounding may have let the recurrence drift below it.
            let trueNorm = system.recomputeResidual()
            flops += 2 * system.matrix.nnz + 3 * system.dimension
            guard status == .converged, trueNorm > monitor.targetNorm else { return report(status) }
            guard replacementsLeft > 0, monitor.iterations < options.maxIterations else {
                return report(monitor.iterations < options.maxIterations ? .stagnated : .maxIterations,
                              detail: "the recurrence residual converged but the true residual \(trueNorm) did not")
            }
            replacementsLeft -= 1
            try method.restart(system)
            monitor.resume()
            status = monitor.record(residualNorm: trueNorm, counting: false)
        }
    }
}
