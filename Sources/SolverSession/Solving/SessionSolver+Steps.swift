import Dispatch
import Foundation
import SolverCore

/// The solver loop of a session. Everything here runs on the session's queue.
extension SessionSolver {
    var targetNorm: Double { options.tolerance * system.rightHandSideNorm }

    /// Starts a solve from the current `x`: cold (`restart`) or after updates (local push when they were local).
    func startSolve(restart: Bool) throws {
        dispatchPrecondition(condition: .onQueue(queue))
        if system.rightHandSideNorm == 0 {
            // ‖b‖ = 0: x = 0 is the solution, and the relative test (‖r‖ ≤ tolerance · ‖b‖ = 0) needs it exactly.
            try system.replaceSolution([Double](repeating: 0, count: dimension))
        }
        if restart { try solver.restart(system) } else { try solver.updatesApplied(system) }
        monitor = ConvergenceMonitor(targetNorm: targetNorm, maxIterations: options.maxIterations,
                                     stagnationWindow: max(50, options.verificationInterval))
        monitor.start(residualNorm: system.residualNorm)
        belowThreshold = 0
        correctionsThisSolve = 0
        recentNorms.removeAll(keepingCapacity: true)
        verification.resetIterationBase(iteration)
        // The k-th local re-convergence since a global solve may leave 1/(k+2) of the headroom between the residual
        // at rest and the target (squared norms). Shares that shrink like 1/k² add up to the whole headroom
        // (g/2, g/6, g/12, … telescopes to g) while each update's own stopping level only falls polynomially, so a
        // long stream of updates keeps re-converging locally with push depth growing like log k. A fixed fraction of
        // what is left (the former g/4) shrinks geometrically instead, so push depth grew linearly with the stream.
        let target = targetNorm
        solver.globalStopNorm = target
        if restart || solver.mode != .localPush {
            localSolvesSinceGlobal = 0
            solver.localStopNorm = target
        } else {
            let rest = min(system.restingResidualNormSquared, target * target)
            let share = 1 / Double(localSolvesSinceGlobal + 2)
            solver.localStopNorm = (rest + (target * target - rest) * share).squareRoot()
            localSolvesSinceGlobal += 1
        }
        phase = .solving
        stopReason = nil
        pendingFirstFrame = true
        publishStatus()
        // Called from slices, but also from verification and corrections outside them: ask for a slice (idempotent).
        requestSlice()
    }

    /// Applies ready updates (publishing the frame that reflects them), then, given a `deadline` (a `DispatchTime` in
    /// ns), runs steps until it passes or the solve ends (at least one). Returns true when the session wants another
    /// slice.
    func runSlice(until deadline: UInt64?) -> Bool {
        dispatchPrecondition(condition: .onQueue(queue))
        let sliceStart = DispatchTime.now().uptimeNanoseconds
        defer { publishStatus() }
        applyInbox()
        guard let deadline else {
            telemetry.stages.record(.slice, from: sliceStart, to: DispatchTime.now().uptimeNanoseconds)
            return phase == .solving || hasQueuedUpdates
        }
        var steps = 0, busy: UInt64 = 0, slowest: UInt64 = 0
        defer {
            recordSlice(steps: steps, busy: busy, slowest: slowest)
            telemetry.stages.record(.slice, from: sliceStart, to: DispatchTime.now().uptimeNanoseconds)
        }
        while phase == .solving {
            let start = DispatchTime.now().uptimeNanoseconds
            let step = solver.step(system)
            let took = DispatchTime.now().uptimeNanoseconds - start
            telemetry.stages.record(.step, nanoseconds: took)
            steps += 1
            busy += took
            slowest = max(slowest, took)
            iteration += 1
            totalFlops += step.flops
            let elapsed = Double(took) / 1e6
            let norm = system.residualNorm
            recordNorm(norm)
            var status = monitor.record(residualNorm: norm)
            if let breakdown = step.breakdown {
                monitor.recordBreakdown()
                status = .breakdown
                stopReason = breakdown
            }
            belowThreshold = norm <= targetNorm ? belowThreshold + 1 : 0
            if verification.isDue(at: iteration), options.flowNexus?.verificationStrategy != "none" {
                _ = try? runVerification(trigger: "interval", probeCount: nil, indices: nil)
            }
            let holding = belowThreshold >= options.convergenceIterations
            switch status {
            case .running, .converged:
                if holding { finishConverged(stepTime: elapsed, flops: step.flops) }
            case .diverged, .stagnated, .breakdown:
                handleTrouble(status, stepTime: elapsed, flops: step.flops)
            case .maxIterations:
                stop(reason: "max_iterations", stepTime: elapsed, flops: step.flops)
            }
            if phase == .solving {
                let now = EventHub.now()
                if pendingFirstFrame || now - lastFrameTime >= Self.frameInterval {
                    emitFrame(stepTime: elapsed, flops: step.flops)
                }
            }
            if hasQueuedUpdates { applyInbox() }
            if DispatchTime.now().uptimeNanoseconds >= deadline { break }
        }
        return phase == .solving || hasQueuedUpdates
    }

    /// One metrics record per slice (the mean step time), and a throttled warning for a slow step.
    private func recordSlice(steps: Int, busy: UInt64, slowest: UInt64) {
        guard steps > 0 else { return }
        telemetry.iterations.increment(by: steps)
        telemetry.iterationTime.recordNanoseconds(Int64(busy / UInt64(steps)))
        let now = DispatchTime.now().uptimeNanoseconds
        if slowest > telemetry.slowIterationNanoseconds, now - lastSlowWarning >= SessionTelemetry.slowWarningInterval {
            lastSlowWarning = now
            logger.warning("slow iteration", metadata: [
                "iteration_ms": "\(Double(slowest) / 1e6)", "threshold_ms": "\(Double(telemetry.slowIterationNanoseconds) / 1e6)",
                "method": "\(solver.name)", "rows": "\(dimension)", "iteration": "\(iteration)",
            ])
        }
    }

    var hasQueuedUpdates: Bool { inbox.hasReady }

    private func recordNorm(_ norm: Double) {
        if recentNorms.count >= 8 { recentNorms.removeFirst() }
        recentNorms.append(norm)
    }

    /// Geometric mean of the last residual ratios (< 1 while converging).
    var convergenceRate: Double {
        guard recentNorms.count >= 2, let first = recentNorms.first, let last = recentNorms.last, first > 0 else { return 1 }
        let ratio = last / first
        return ratio > 0 ? pow(ratio, 1 / Double(recentNorms.count - 1)) : 0
    }

    /// Applies every queued update, in seq order, each exactly once, then re-plans the solve and publishes the first
    /// frame reflecting them. Records the stages of their latency (inbox, apply, frame, update → frame).
    func applyInbox() {
        dispatchPrecondition(condition: .onQueue(queue))
        let batch = inbox.takeReady()
        guard !batch.isEmpty, phase != .closed else { return }
        let taken = DispatchTime.now().uptimeNanoseconds
        let stages = telemetry.stages
        for entry in batch { stages.record(.inbox, from: entry.readyAt, to: taken) }
        var applied = false
        let mode = options.flowNexus?.aggregation ?? .weightedAverage
        for entry in batch {
            let seq = entry.seq, update = entry.update
            do {
                let combined = try update.apply(to: system, aggregator: &swarm.aggregator, mode: mode)
                if let report = update.report { publishAggregation(report, combined, of: update, seq: seq, mode: mode) }
                lastAppliedSeq = seq
                updatesApplied += 1
                verification.noteUpdateApplied()
                applied = true
            } catch let error as SolverError {
                updatesRejected += 1
                hub.publish(.updateRejected(UpdateRejected(updateSeq: seq, error: error)))
            } catch {
                updatesRejected += 1
                hub.publish(.updateRejected(UpdateRejected(updateSeq: seq, error: SolverError(.internal, "\(error)"))))
            }
        }
        guard applied else { return }
        if latencyStart == nil { latencyStart = batch[0].readyAt }
        var planned = taken
        do {
            try startSolve(restart: false)
            planned = DispatchTime.now().uptimeNanoseconds
            // The first frame reflecting the updates goes out now, before any step: its latency is the update's.
            emitFrame(stepTime: 0, flops: 0)
        } catch {
            planned = DispatchTime.now().uptimeNanoseconds
            let message = (error as? SolverError)?.message ?? "\(error)"
            stopReason = message
            stop(reason: "breakdown", stepTime: 0, flops: 0)
        }
        let framed = DispatchTime.now().uptimeNanoseconds
        stages.record(.apply, from: taken, to: planned)
        stages.record(.frame, from: planned, to: framed)
        for entry in batch { stages.record(.updateToFrame, from: entry.readyAt, to: framed) }
    }

    private func publishAggregation(_ report: CostReport, _ combined: [CostAggregator.Combined], of update: CostUpdate,
                                    seq: UInt64, mode: CostAggregation) {
        hub.publish(.costsAggregated(CostsAggregated(
            updateSeq: seq, nodeID: report.nodeID, sourceNode: update.sourceNode, propagationDepth: update.propagationDepth,
            aggregation: mode.rawValue, indices: combined.map(\.index), values: combined.map(\.value),
            contributingNodes: combined.map(\.nodes))))
    }

    private func finishConverged(stepTime: Double, flops: Int) {
        emitFrame(stepTime: stepTime, flops: flops)
        phase = .converged
        // A global solve (also one that took over from push) ends with the headroom of a fresh start.
        if solver.mode != .localPush { localSolvesSinceGlobal = 0 }
        solver.didConverge()
        // Make the residual sum tree current now, while idle, so the next local update pays nothing for it.
        system.prepareForLocalUpdates()
        // A factor's solve leaves the residual exact: once the first solve was verified, a probe after each later
        // re-solve only repeats that work and publishes a verification nobody learns from (under a stream of small
        // updates, one event of the four each update caused). Swarm rounds still run.
        if !solver.residualIsExact || !verification.hasRun || swarm.verifier != nil {
            _ = try? runVerification(trigger: "converged", probeCount: nil, indices: nil)
        }
        publishSignal(converged: true, reason: nil)
    }

    func stop(reason: String, stepTime: Double, flops: Int) {
        emitFrame(stepTime: stepTime, flops: flops)
        phase = .stopped
        stopReason = stopReason.map { "\(reason): \($0)" } ?? reason
        publishSignal(converged: false, reason: stopReason)
    }

    private func publishSignal(converged: Bool, reason: String?) {
        hub.publish(.convergenceSignal(ConvergenceSignal(
            residualThreshold: options.tolerance, consecutiveIterations: options.convergenceIterations,
            residualNorm: system.residualNorm, relativeResidual: system.relativeResidual,
            iterationsBelowThreshold: belowThreshold, iteration: iteration, converged: converged, reason: reason,
            swarmConsensus: swarm.rounds.consensus.agreementLevel, lastAppliedSeq: lastAppliedSeq, reconvergenceMode: solver.mode.rawValue)))
    }

    /// Publishes an `iteration_update`: `x_partial` holds the entries that changed most since the previous frame
    /// (watching subscribers get their watched entries instead).
    func emitFrame(stepTime: Double, flops: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        pendingFirstFrame = false
        lastFrameTime = EventHub.now()
        if let start = latencyStart {
            telemetry.updateLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            latencyStart = nil
        }
        let partial = mostChangedEntries(limit: hub.limits.maxPartialEntries)
        let frame = IterationUpdate(
            iteration: iteration, residualNorm: system.residualNorm, relativeResidual: system.relativeResidual,
            convergenceRate: convergenceRate, verified: verification.lastVerified,
            verificationScore: verification.lastScore, xPartial: partial, swarmConsensus: swarm.rounds.consensus,
            performance: .init(
                iterationTimeMs: stepTime, memoryUsageMB: Double(memoryBytesAtLastStatus) / 1_048_576, flops: flops),
            lastAppliedSeq: lastAppliedSeq, method: solver.name, mode: solver.mode.rawValue)
        let x = system.x
        hub.publish(.iterationUpdate(frame)) { body, watch in
            guard case .iterationUpdate(var personal) = body else { return body }
            let valid = watch.filter { $0 >= 0 && $0 < x.count }
            personal.xPartial = SparseEntries(indices: valid, values: valid.map { x[$0] })
            return .iterationUpdate(personal)
        }
    }

    /// The `limit` entries of `x` whose change since the last frame is largest. After local push only the rows it
    /// touched are compared (and the baseline updated there); after global steps every row is, O(n).
    private func mostChangedEntries(limit: Int) -> SparseEntries {
        let x = system.x
        let touched = system.takeChangedSolutionRows()
        var top = TopK(capacity: min(limit, x.count))
        if let touched, xAtLastFrame.count == x.count {
            for row in touched {
                let i = Int(row)
                let change = abs(x[i] - xAtLastFrame[i])
                if change > 0 { top.offer(i, change) }
                xAtLastFrame[i] = x[i]
            }
        } else {
            if xAtLastFrame.count != x.count { xAtLastFrame = [Double](repeating: 0, count: x.count) }
            // Copied into the baseline's own buffer: sharing `x`'s would make the next step copy all of `x`.
            xAtLastFrame.withUnsafeMutableBufferPointer { old in
                for i in 0..<x.count {
                    let change = abs(x[i] - old[i])
                    if change > 0 { top.offer(i, change) }
                    old[i] = x[i]
                }
            }
        }
        let indices = top.indicesByDecreasingScore()
        return SparseEntries(indices: indices, values: indices.map { x[$0] })
    }

    /// What the session holds, by component: the live system, the running method with its preconditioner or factor,
    /// push's state, the frame baseline, the swarm's reports and the hub's retained events.
    var memory: MemoryBreakdown {
        var memory = MemoryBreakdown()
        system.accountMemory(&memory)
        solver.accountMemory(&memory, system: system)
        memory.vectors += MemoryAccounting.bytes(xAtLastFrame)
        memory.other += MemoryAccounting.bytes(recentNorms)
        memory.swarm += swarm.aggregator.memoryBytes
        memory.events += hub.memoryBytes
        return memory
    }

    func publishStatus() {
        let memory = self.memory
        memoryBytesAtLastStatus = memory.total
        let snapshot = SessionStatus(
            sessionID: id, phase: phase, rows: dimension, nnz: system.matrix.nnz, method: solver.global.name,
            methodReason: choice.reason, reconvergenceMode: solver.mode.rawValue, iteration: iteration,
            solveIterations: monitor.iterations, residualNorm: system.residualNorm,
            relativeResidual: system.relativeResidual, tolerance: options.tolerance, verified: verification.lastVerified,
            verificationScore: verification.lastScore, intervalMultiplier: verification.multiplier,
            lastAppliedSeq: lastAppliedSeq, updatesApplied: updatesApplied, updatesRejected: updatesRejected,
            pendingUpdates: 0, subscribers: 0, memory: memory, totalFlops: totalFlops, createdAt: createdAt,
            lastActivity: inbox.lastActivity, stopReason: stopReason, owner: owner)
        published.withLock { $0 = snapshot }
    }
}
