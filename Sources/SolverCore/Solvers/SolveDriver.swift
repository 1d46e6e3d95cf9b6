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

    /// Runs the method named by `kind`; `hybrid` follows `MethodPlanner`'s plan — the cheapest predicted method
    /// first, a factorisation last whenever it fits `methodOptions.factorByteLimit` — moving on when a choice
    /// cannot be built, diverges, stagnates or breaks down, spending at most `options.maxIterations` steps in total.
    /// The report's `reason` says what was chosen and why, and what failed before it.
    public static func run(
        _ system: LiveSystem, kind: MethodKind, preconditioner: PreconditionerKind = .none,
        methodOptions: MethodOptions = MethodOptions(), options: SolveOptions = SolveOptions()
    ) throws -> SolveReport {
        guard kind == .hybrid else {
            let method = try MethodFactory.makeMethod(kind: kind, preconditioner: preconditioner, options: methodOptions)
            return try run(system, method: method, options: options)
        }
        try options.validate()
        let plan = MethodPlanner.plan(for: system, purpose: .oneShot, tolerance: options.tolerance,
                                      byteLimit: methodOptions.factorByteLimit)
        var monitor = ConvergenceMonitor(options: options, rightHandSideNorm: system.rightHandSideNorm)
        var flops = 0
        var failures: [String] = []
        var lastError: SolverError?
        var lastReport: SolveReport?
        for choice in plan.choices {
            let reason = failures.isEmpty ? choice.reason : "\(choice.reason); after: \(failures.joined(separator: "; "))"
            do {
                let method = try MethodFactory.makeMethod(kind: choice.kind, preconditioner: choice.preconditioner,
                                                          options: methodOptions, analysis: plan.analysis(for: choice))
                var report = try run(system, method: method, options: options, monitor: &monitor, flopsSoFar: flops)
                report.reason = reason
                let retryable: Set<ConvergenceStatus> = [.diverged, .stagnated, .breakdown]
                guard retryable.contains(report.status), monitor.iterations < options.maxIterations else { return report }
                failures.append("\(report.methodName) \(report.status.rawValue)\(report.detail.map { " (\($0))" } ?? "")")
                if report.status == .diverged || !system.x.allSatisfy(\.isFinite) {
                    try system.replaceSolution([Double](repeating: 0, count: system.dimension))
                }
                flops = report.flops
                lastReport = report
                monitor.resume()
            } catch let error as SolverError {
                failures.append("\(choice.kind.rawValue): \(error.message)")
                lastError = error
            }
        }
        if var report = lastReport {
            report.reason = "every planned method failed: \(failures.joined(separator: "; "))"
            return report
        }
        throw lastError ?? SolverError(.unsupportedMethod, "no method applies to this matrix", field: "method")
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
            var report = SolveReport(status: status, iterations: monitor.iterations, residualNorm: norm,
                                     relativeResidual: rightHandSideNorm > 0 ? norm / rightHandSideNorm : 0,
                                     flops: flops, methodName: method.name, detail: detail)
            report.factorization = (method as? DirectSolver)?.summary
            return report
        }
        if rightHandSideNorm == 0 {
            try system.replaceSolution([Double](repeating: 0, count: system.dimension))
            return report(.converged)
        }
        // A factor's steps stop solving once the target holds (confirming steps then cost nothing).
        (method as? DirectSolver)?.stopNorm = monitor.targetNorm
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
