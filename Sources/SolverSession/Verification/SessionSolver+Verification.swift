import Dispatch
import SolverCore

/// Verification and auto-correction (docs/design.md §6). Runs on the session's queue.
extension SessionSolver {
    /// Probes rows, compares exact and maintained residuals, corrects drift, publishes `verification_result`; a
    /// swarm-enabled session then puts the same rows to the swarm's vote (`Session+Swarm`). `answer`, when given,
    /// gets the swarm round's result, or this one's when no round starts.
    @discardableResult
    func runVerification(trigger: String, probeCount: Int?, indices: [Int]?,
                         answer: (@Sendable (VerificationResult) -> Void)? = nil) throws -> VerificationResult {
        dispatchPrecondition(condition: .onQueue(queue))
        if let probeCount, !(1...100).contains(probeCount) {
            throw SolverError(.invalidArgument, "must be in 1...100, got \(probeCount)", field: "probe_count")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let took = DispatchTime.now().uptimeNanoseconds - start
            telemetry.probeTime.recordNanoseconds(Int64(took))
            telemetry.stages.record(.verification, nanoseconds: took)
        }
        let probe: ResidualProbe
        if let indices {
            guard !indices.isEmpty, indices.count <= 10_000 else {
                throw SolverError(.invalidArgument, "give 1...10000 indices", field: "indices")
            }
            probe = try system.probe(rows: indices)
        } else {
            probe = try system.probeRandomRows(count: probeCount ?? verification.probeCount, using: &probeRNG)
        }
        let assessment = verification.assess(probe, floor: noiseFloor(rows: probe.rows.count), iteration: iteration)
        var corrected = false
        if assessment.driftDetected {
            correctDrift(disagreement: assessment.disagreement)
            corrected = true
        }
        let result = VerificationResult(
            probeID: verification.nextProbeID(), verified: assessment.verified, probedIndices: probe.rows,
            residualComponents: probe.exactResiduals, maxError: probe.maxAbsoluteError,
            relativeDisagreement: assessment.disagreement,
            estimatedResidualNorm: probe.estimatedResidualNorm(dimension: dimension),
            driftDetected: assessment.driftDetected, correctionApplied: corrected,
            verificationTimeMs: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6,
            intervalMultiplier: verification.multiplier, trigger: trigger)
        hub.publish(.verificationResult(result))
        if !startSwarmRound(rows: probe.rows, probeID: result.probeID, answer: answer) { answer?(result) }
        return result
    }

    /// Differences below the residual expected at tolerance on this many rows are rounding noise.
    func noiseFloor(rows: Int) -> Double {
        let share = (Double(rows) / Double(dimension)).squareRoot()
        return max(targetNorm * share, 1e-14 * system.rightHandSideNorm * share, .leastNormalMagnitude)
    }

    /// Drift: the maintained residual no longer matches `b − A x`. Recompute it exactly and re-converge from there.
    func correctDrift(disagreement: Double) {
        dispatchPrecondition(condition: .onQueue(queue))
        let (maintained, exact, _) = system.recomputeResidualMeasuringDrift(floor: targetNorm)
        verification.correctionApplied()
        publishCorrection(trigger: "drift", action: "residual_recomputed",
                          detail: "probes disagreed by \(disagreement); maintained ‖r‖ \(maintained) vs exact \(exact)")
        do {
            try startSolve(restart: true)
        } catch {
            stopReason = (error as? SolverError)?.message ?? "\(error)"
            stop(reason: "breakdown", stepTime: 0, flops: 0)
        }
    }

    /// Divergence, stagnation or breakdown: first restart from the exact residual, then change method, then stop.
    func handleTrouble(_ status: ConvergenceStatus, stepTime: Double, flops: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        correctionsThisSolve += 1
        let trigger = status == .stagnated ? "stagnation" : (status == .diverged ? "divergence" : "breakdown")
        if !system.x.allSatisfy(\.isFinite) {
            try? system.replaceSolution([Double](repeating: 0, count: dimension))
        }
        do {
            // A restart helps an iterative method that drifted; a factorisation that failed fails again the same way.
            if correctionsThisSolve == 1 && status != .diverged && !(solver.global is DirectSolver) {
                system.recomputeResidual()
                try startSolve(restart: true)
                correctionsThisSolve = 1
                publishCorrection(trigger: trigger, action: "restarted", detail: "restarted \(solver.global.name) from the exact residual")
                return
            }
            if correctionsThisSolve <= 3 + fallbacks.count, let next = nextMethod(after: stopReason ?? trigger) {
                let previous = solver.global.name
                choice = next
                solver = AdaptiveSolver(global: try Self.makeMethod(next, options: options, factorByteLimit: factorByteLimit))
                system.recomputeResidual()
                let count = correctionsThisSolve
                try startSolve(restart: true)
                correctionsThisSolve = count
                publishCorrection(trigger: trigger, action: "method_changed", detail: "\(previous) → \(solver.global.name): \(next.reason)")
                return
            }
        } catch {
            stopReason = (error as? SolverError)?.message ?? "\(error)"
        }
        stop(reason: status.rawValue, stepTime: stepTime, flops: flops)
    }

    /// The method to fall back to: `MethodSelector`'s chain, or BiCGSTAB+ILU from the stationary methods and push.
    private func nextMethod(after failure: String) -> MethodChoice? {
        if !fallbacks.isEmpty {
            var next = fallbacks.removeFirst()
            next.reason = "\(next.reason); after \(choice.kind.rawValue) failed: \(failure)"
            return next
        }
        if let next = MethodSelector.fallback(after: choice, failure: failure) { return next }
        switch choice.kind {
        case .jacobi, .gaussSeidel, .neumann, .push:
            return MethodChoice(kind: .bicgstab, preconditioner: .ilu, reason: "\(choice.kind.rawValue) failed (\(failure)): bicgstab+ilu")
        default:
            return nil
        }
    }

    private func publishCorrection(trigger: String, action: String, detail: String) {
        hub.publish(.correctionApplied(CorrectionApplied(trigger: trigger, action: action, detail: detail)))
    }
}
