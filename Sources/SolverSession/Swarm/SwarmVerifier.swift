import SolverCore

/// One node's answer to a probe task: the residuals it computed, or nil when it did not answer in time.
public struct SwarmVote: Sendable, Equatable {
    public var node: String
    public var residuals: [Double]?
    public init(node: String, residuals: [Double]?) {
        self.node = node
        self.residuals = residuals
    }
}

/// Where a swarm-enabled session sends its probe tasks for distributed verification (the cluster's nodes; nil in
/// the embedded default, where a session verifies alone).
public protocol SwarmVerifier: AnyObject, Sendable {
    /// Asks every node of the swarm, this one included, to evaluate `task`. `completion` runs exactly once, on any
    /// thread, within a bounded time, with one vote per node asked (nil residuals for those that did not answer).
    func collectVotes(_ task: ProbeTask, session: SessionID, completion: @escaping @Sendable ([SwarmVote]) -> Void)
}

/// Counts votes (docs/design.md §7.3). Two answers match when every residual agrees within the task's agreement scale;
/// the largest group of matching answers is the consensus when it holds at least ⌊2N/3⌋ + 1 of the N nodes asked, so up
/// to f = ⌊(N − 1)/3⌋ wrong or silent nodes cannot sway it, and a wrong node is named, not believed.
public struct SwarmTally: Sendable, Equatable {
    /// The agreed residuals; nil without consensus.
    public var consensus: [Double]?
    public var summary: SwarmVerification

    public static func threshold(nodes: Int) -> Int { nodes * 2 / 3 + 1 }

    public init(votes: [SwarmVote], scale: [Double]) {
        var groups: [(residuals: [Double], nodes: [String])] = []
        var silent: [String] = []
        for vote in votes {
            guard let residuals = vote.residuals, residuals.count == scale.count else {
                silent.append(vote.node)
                continue
            }
            if let k = groups.firstIndex(where: { Self.matches($0.residuals, residuals, scale) }) {
                groups[k].nodes.append(vote.node)
            } else {
                groups.append((residuals, [vote.node]))
            }
        }
        let asked = votes.count
        let largest = groups.indices.max { groups[$0].nodes.count < groups[$1].nodes.count }
        let agreeing = largest.map { groups[$0].nodes } ?? []
        let threshold = Self.threshold(nodes: asked)
        let reached = asked > 0 && agreeing.count >= threshold
        consensus = reached ? largest.map { groups[$0].residuals } : nil
        summary = SwarmVerification(
            askedNodes: asked, participatingNodes: asked - silent.count, threshold: threshold, consensusReached: reached,
            agreementLevel: asked > 0 ? Double(agreeing.count) / Double(asked) : 0, agreeingNodes: agreeing.sorted(),
            dissentingNodes: groups.indices.filter { $0 != largest }.flatMap { groups[$0].nodes }.sorted(),
            silentNodes: silent.sorted())
    }

    static func matches(_ a: [Double], _ b: [Double], _ scale: [Double]) -> Bool {
        zip(zip(a, b), scale).allSatisfy { pair, s in abs(pair.0 - pair.1) <= s }
    }
}
