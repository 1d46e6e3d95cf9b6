import Dispatch
import SolverCore

/// Distributed verification (docs/design.md §7.3). After a local probe, a swarm-enabled session cuts the probed rows
/// out as a `ProbeTask` and the `SwarmVerifier` has every node evaluate it. The maintained residuals of those rows
/// are kept from the moment the task was cut (after any correction the local probe made), so the votes are judged
/// against the very state they were computed from, however far the solve has moved on when they arrive. The
/// consensus residuals then play the part of the exact ones: drift against them is corrected like locally found
/// drift, which catches an owner whose own arithmetic is wrong. Without consensus nothing is corrected: the swarm
/// cannot be trusted, and the result says so (`consensus_reached: false`).
extension SessionSolver {
    /// Starts a round for `rows` unless swarm verification is off or an automatic round would come too soon.
    /// Returns whether a round started; `answer` then gets its result.
    func startSwarmRound(rows: [Int], probeID: String, answer: (@Sendable (VerificationResult) -> Void)?) -> Bool {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let verifier = swarm.verifier else { return false }
        let now = EventHub.now()
        if answer == nil, swarm.rounds.inFlight > 0 || now - swarm.rounds.lastStart < SwarmRounds.minimumSpacing {
            swarm.rounds.wanted = true
            return false
        }
        guard let task = try? system.probeTask(rows: rows) else { return false }
        swarm.rounds.inFlight += 1
        swarm.rounds.lastStart = now
        swarm.rounds.wanted = false
        let maintained = rows.map { system.r[$0] }
        let started = DispatchTime.now().uptimeNanoseconds
        verifier.collectVotes(task, session: id) { [self] votes in
            queue.async { [self] in
                finishSwarmRound(task, maintained: maintained, probeID: probeID, started: started, votes: votes, answer: answer)
            }
        }
        return true
    }

    private func finishSwarmRound(_ task: ProbeTask, maintained: [Double], probeID: String, started: UInt64,
                                  votes: [SwarmVote], answer: (@Sendable (VerificationResult) -> Void)?) {
        dispatchPrecondition(condition: .onQueue(queue))
        swarm.rounds.inFlight -= 1
        let tally = SwarmTally(votes: votes, scale: task.agreementScale())
        let summary = tally.summary
        swarm.rounds.consensus = SwarmConsensus(participatingNodes: summary.participatingNodes, agreementLevel: summary.agreementLevel)
        if !summary.dissentingNodes.isEmpty || !summary.consensusReached {
            logger.warning("swarm verification: nodes outvoted or no consensus", metadata: [
                "probe_id": "\(probeID)", "dissenting": "\(summary.dissentingNodes)", "silent": "\(summary.silentNodes)",
                "agreeing": "\(summary.agreeingNodes.count)/\(summary.askedNodes)", "threshold": "\(summary.threshold)",
            ])
        }
        let agreed = tally.consensus.map { ResidualProbe(rows: task.rows, exactResiduals: $0, maintainedResiduals: maintained) }
        let disagreement = agreed?.relativeDisagreement(floor: noiseFloor(rows: task.rows.count)) ?? 0
        let drift = disagreement > VerificationLoop.driftThreshold
        if drift, phase != .closed { correctDrift(disagreement: disagreement) }
        let result = VerificationResult(
            probeID: probeID, verified: summary.consensusReached && !drift, probedIndices: task.rows,
            residualComponents: tally.consensus ?? [], maxError: agreed?.maxAbsoluteError ?? 0,
            relativeDisagreement: disagreement,
            estimatedResidualNorm: agreed?.estimatedResidualNorm(dimension: dimension) ?? 0,
            driftDetected: drift, correctionApplied: drift && phase != .closed,
            verificationTimeMs: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6,
            intervalMultiplier: verification.multiplier, trigger: "swarm", swarm: summary)
        if phase != .closed { hub.publish(.verificationResult(result)) }
        answer?(result)
        if swarm.rounds.wanted, swarm.rounds.inFlight == 0 {
            queue.asyncAfter(deadline: .now() + SwarmRounds.minimumSpacing) { [self] in
                guard swarm.rounds.wanted, swarm.rounds.inFlight == 0, phase != .closed,
                      let probe = try? system.probeRandomRows(count: verification.probeCount, using: &probeRNG) else { return }
                _ = startSwarmRound(rows: probe.rows, probeID: verification.nextProbeID(), answer: nil)
            }
        }
    }
}
