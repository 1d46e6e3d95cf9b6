import SolverCore
import SolverSession

/// Session events (docs/design.md §4): `type`, `session_id`, `seq`, `timestamp`, then the body.
extension WireEncoder {
    /// `criteria.swarm_agreement`, reported for clients that read it (docs/design.md §4.4). It never holds a solve
    /// back: convergence is the owner's residual test; `current_state.swarm_consensus` is the last round's agreement.
    public static let requiredSwarmAgreement = 0.95

    public static func event(_ event: SessionEvent) -> [UInt8] {
        var capacity = 384
        if case .iterationUpdate(let u) = event.body { capacity += u.xPartial.indices.count * 32 }
        return encode(capacity: capacity) { w in
            w.field("type", event.body.typeName)
            w.field("session_id", event.sessionID.rawValue)
            w.field("seq", event.seq)
            w.field("timestamp", ISO8601Timestamp.format(event.timestamp))
            switch event.body {
            case .iterationUpdate(let u): writeMembers(&w, u)
            case .verificationResult(let r): writeMembers(&w, r)
            case .convergenceSignal(let s): writeMembers(&w, s)
            case .correctionApplied(let c):
                w.field("trigger", c.trigger)
                w.field("action", c.action)
                w.field("detail", c.detail)
            case .costsAggregated(let c): writeMembers(&w, c)
            case .updateRejected(let r):
                w.field("update_seq", r.updateSeq)
                w.field("error") { w in writeErrorMembers(&w, r.error) }
            case .sessionClosed(let c):
                w.field("reason", c.reason)
                w.field("message", c.message)
            }
        }
    }

    static func writeMembers(_ w: inout JSONWriter, _ u: IterationUpdate) {
        w.field("iteration", u.iteration)
        w.field("x_partial") { w in
            w.field("indices", u.xPartial.indices)
            w.field("values", u.xPartial.values)
        }
        w.field("residual_norm", u.residualNorm)
        w.field("relative_residual", u.relativeResidual)
        w.field("convergence_rate", u.convergenceRate)
        w.field("verified", u.verified)
        w.field("verification_score", u.verificationScore)
        w.field("swarm_consensus") { w in
            w.field("participating_nodes", u.swarmConsensus.participatingNodes)
            w.field("agreement_level", u.swarmConsensus.agreementLevel)
        }
        w.field("performance") { w in
            w.field("iteration_time_ms", u.performance.iterationTimeMs)
            w.field("memory_usage_mb", u.performance.memoryUsageMB)
            w.field("flops", u.performance.flops)
        }
        w.field("last_applied_seq", u.lastAppliedSeq)
        w.field("method", u.method)
        w.field("mode", u.mode)
    }

    /// The members of docs/design.md §4.3 plus what the probe measured (`probed_indices`, `max_error`, …).
    static func writeMembers(_ w: inout JSONWriter, _ r: VerificationResult) {
        w.field("probe_id", r.probeID)
        w.field("verified", r.verified)
        w.field("residual_components", r.residualComponents)
        w.field("drift_detected", r.driftDetected)
        w.field("correction_applied", r.correctionApplied)
        w.field("verification_time_ms", r.verificationTimeMs)
        w.field("probed_indices", r.probedIndices)
        w.field("max_error", r.maxError)
        w.field("relative_disagreement", r.relativeDisagreement)
        w.field("estimated_residual_norm", r.estimatedResidualNorm)
        w.field("interval_multiplier", r.intervalMultiplier)
        w.field("trigger", r.trigger)
        if let s = r.swarm {
            w.field("swarm") { w in
                w.field("asked_nodes", s.askedNodes)
                w.field("participating_nodes", s.participatingNodes)
                w.field("threshold", s.threshold)
                w.field("consensus_reached", s.consensusReached)
                w.field("agreement_level", s.agreementLevel)
                w.field("agreeing_nodes", s.agreeingNodes)
                w.field("dissenting_nodes", s.dissentingNodes)
                w.field("silent_nodes", s.silentNodes)
            }
        }
    }

    static func writeMembers(_ w: inout JSONWriter, _ c: CostsAggregated) {
        w.field("update_seq", c.updateSeq)
        w.field("node_id", c.nodeID)
        w.field("source_node", c.sourceNode)
        w.field("propagation_depth", c.propagationDepth)
        w.field("aggregation", c.aggregation)
        w.field("indices", c.indices)
        w.field("values", c.values)
        w.field("contributing_nodes", c.contributingNodes)
    }

    static func writeMembers(_ w: inout JSONWriter, _ s: ConvergenceSignal) {
        w.field("criteria") { w in
            w.field("residual_threshold", s.residualThreshold)
            w.field("consecutive_iterations", s.consecutiveIterations)
            w.field("swarm_agreement", requiredSwarmAgreement)
        }
        w.field("current_state") { w in
            w.field("residual_norm", s.residualNorm)
            w.field("relative_residual", s.relativeResidual)
            w.field("iterations_below_threshold", s.iterationsBelowThreshold)
            w.field("swarm_consensus", s.swarmConsensus)
        }
        w.field("converged", s.converged)
        w.field("reason", s.reason)
        w.field("iteration", s.iteration)
        w.field("last_applied_seq", s.lastAppliedSeq)
        w.field("reconvergence_mode", s.reconvergenceMode)
    }
}
