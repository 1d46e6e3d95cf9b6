import Dispatch
import Foundation
import Logging
import SolverCore
import SolverSession
import Synchronization

/// Distributed verification over Redis pub/sub (docs/design.md §7.3). A round sends the probe task to the vote channel
/// of every healthy solverd node; each evaluates it on its own and answers with the residuals it computed. The
/// round ends when every node asked has answered or after `timeout`, and the votes go to the session's tally
/// (`SwarmTally`), which needs ⌊2N/3⌋ + 1 matching answers.
///
/// Every node evaluates the same rows: a vote needs N answers to one question, so the probe set is replicated to
/// the voters rather than partitioned among them (a partitioned row would have a single, unverifiable answer).
///
/// Messages on `solverd:vote:{node}`: `"Q <round> <from>\n"` + the binary task, answered on the asker's channel by
/// `"V <round> <voter>\n"` + the binary residuals. Voters are trusted to name themselves (Redis is the trust
/// boundary of the cluster); what the vote defends against is a node computing wrong answers.
final class SwarmVoting: Sendable {
    typealias Completion = @Sendable ([SwarmVote]) -> Void

    private struct Round {
        var asked: [String]
        var votes: [String: [Double]] = [:]
        var completion: Completion
    }

    private let node: String
    private let keys: ClusterKeys
    private let client: RedisClient
    /// Fault injection for tests (`--fault-inject-wrong-residuals`): this node's answers are wrong.
    private let faulty: Bool
    private let timeout: Double
    private let rounds = Mutex<(next: UInt64, open: [UInt64: Round])>((1, [:]))
    private let peers = Mutex<[String]>([])
    private let outbound = DispatchQueue(label: "solverd.cluster.vote.out")
    private let inbound = DispatchQueue(label: "solverd.cluster.vote.in")

    init(node: String, keys: ClusterKeys, client: RedisClient, faulty: Bool, timeout: Double) {
        self.node = node
        self.keys = keys
        self.client = client
        self.faulty = faulty
        self.timeout = timeout
    }

    /// The healthy solverd nodes, as the last tick read them from the directory (not read per round: a round must
    /// not cost an extra store round trip).
    func setPeers(_ ids: [String]) { peers.withLock { $0 = ids } }

    /// This node's answer to `task`.
    func evaluate(_ task: ProbeTask) -> [Double] {
        let residuals = task.evaluate()
        return faulty ? residuals.map { $0 + 1 + abs($0) } : residuals
    }

    /// Runs one round; `completion` gets one vote per node asked, exactly once.
    func collect(_ task: ProbeTask, completion: @escaping Completion) {
        let asked = Set(peers.withLock { $0 } + [node]).sorted()
        let round = rounds.withLock { r in
            defer { r.next += 1 }
            r.open[r.next] = Round(asked: asked, completion: completion)
            return r.next
        }
        record(round, voter: node, evaluate(task))
        let others = asked.filter { $0 != node }
        guard !others.isEmpty else { return }
        outbound.async { [self] in
            let message = Array("Q \(round) \(node)\n".utf8) + task.encodeBinary()
            // Unreachable voters simply stay silent: the timeout ends the round either way.
            _ = try? client.pipeline(others.map { ["PUBLISH", RedisArgument(keys.votes($0)), RedisArgument(message)] })
            outbound.asyncAfter(deadline: .now() + timeout) { [self] in finish(round) }
        }
    }

    /// A message on this node's vote channel: a task to evaluate, or a vote for one of our rounds.
    func received(_ payload: [UInt8]) {
        let headEnd = payload.firstIndex(of: 10) ?? payload.endIndex
        let head = String(decoding: payload[..<headEnd], as: UTF8.self).split(separator: " ").map(String.init)
        let body = headEnd < payload.endIndex ? Array(payload[(headEnd + 1)...]) : []
        guard head.count == 3, let round = UInt64(head[1]) else { return }
        switch head[0] {
        case "Q":
            inbound.async { [self] in
                guard let task = try? ProbeTask.decodeBinary(body) else { return }
                let answer = Array("V \(round) \(node)\n".utf8) + SwarmVote.encodeResiduals(evaluate(task))
                _ = try? client.command("PUBLISH", RedisArgument(keys.votes(head[2])), RedisArgument(answer))
            }
        case "V":
            if let residuals = try? SwarmVote.decodeResiduals(body) { record(round, voter: head[2], residuals) }
        default:
            break
        }
    }

    private func record(_ round: UInt64, voter: String, _ residuals: [Double]) {
        let complete = rounds.withLock { r -> Bool in
            guard var open = r.open[round], open.asked.contains(voter), open.votes[voter] == nil else { return false }
            open.votes[voter] = residuals
            r.open[round] = open
            return open.votes.count == open.asked.count
        }
        if complete { finish(round) }
    }

    private func finish(_ round: UInt64) {
        guard let done = rounds.withLock({ $0.open.removeValue(forKey: round) }) else { return }
        done.completion(done.asked.map { SwarmVote(node: $0, residuals: done.votes[$0]) })
    }
}
