import SolverCore

/// A session's part in the swarm (queue-confined, inside `SessionSolver`): the nodes' cost reports combined per
/// entry of `b`, the distributed verification rounds, and who votes on them.
struct SwarmState {
    /// Every node's latest swarm `cost_report` per entry of `b`.
    var aggregator: CostAggregator
    var rounds = SwarmRounds()
    /// Votes on probe tasks when `options.swarmEnabled` (cluster mode); nil otherwise.
    let verifier: (any SwarmVerifier)?

    init(aggregator: CostAggregator, verifier: (any SwarmVerifier)?) {
        self.aggregator = aggregator
        self.verifier = verifier
    }
}

/// Bookkeeping of a session's distributed verification rounds.
struct SwarmRounds {
    /// Automatic rounds start at most this often; requested ones always start.
    static let minimumSpacing = 0.1
    var inFlight = 0
    var lastStart = -Double.infinity
    /// An automatic round was skipped while another ran: start a fresh one when it ends (so the converged state
    /// is always voted on, not only an earlier one).
    var wanted = false
    /// What the last finished round found; what `iteration_update` and `convergence_signal` report.
    var consensus = SwarmConsensus.singleNode
}
