import Dispatch
import Synchronization

/// Group commit over one `RedisClient`, without anyone waiting: callers on any thread hand in a command with a
/// completion and return at once; one flusher (a serial queue) sends everything waiting in one pipeline, reads the
/// replies and completes the callers in order. N concurrent callers cost about one round trip, not N, and a store
/// that stalls delays completions, never a caller.
///
/// Replication (`waitReplicas` > 0): each pipeline ends with `WAIT n timeout`; the batch's writes count as
/// confirmed only when at least n replicas acknowledged them (what a Sentinel failover cannot lose).
///
/// Scripts (`EVALSHA`) that Redis does not know yet (first use, or after a restart) are loaded and the refused
/// commands re-run once, in their original order — a `NOSCRIPT` reply means the command had no effect.
final class GroupCommit: Sendable {
    /// A command's reply, and whether the replicas asked for confirmed the batch it was written in.
    struct Written: Sendable {
        var reply: RESPValue
        /// Replicas that acknowledged the batch (`WAIT`'s reply); nil when none were asked for.
        var replicas: Int?
    }
    typealias Completion = @Sendable (Result<Written, RedisError>) -> Void

    private struct Entry {
        /// nil: nothing to send, only a place in the completion order.
        let command: [RedisArgument]?
        let completion: Completion
    }
    private struct State {
        var pending: [Entry] = []
        var flushing = false
        var largestBatch = 0
    }

    let client: RedisClient
    private let scripts: [RedisScript]
    private let waitReplicas: Int
    private let waitTimeoutMilliseconds: Int
    /// Commands waiting at most; beyond, new ones are refused at once (a store that is away must not grow memory
    /// without bound while clients keep sending).
    let maxPending: Int
    /// Commands per pipeline at most, so one batch's replies do not hold back the next batch for long.
    static let maxBatch = 4096
    private let state = Mutex(State())
    private let flusher = DispatchQueue(label: "solverd.cluster.group-commit")

    init(client: RedisClient, scripts: [RedisScript], waitReplicas: Int = 0, waitTimeoutMilliseconds: Int = 1000,
         maxPending: Int = 100_000) {
        self.client = client
        self.scripts = scripts
        self.waitReplicas = waitReplicas
        self.waitTimeoutMilliseconds = waitTimeoutMilliseconds
        self.maxPending = maxPending
    }

    /// Largest batch sent so far (metrics, tests).
    var largestBatch: Int { state.withLock { $0.largestBatch } }

    /// Queues `command`; `completion` runs later on the flusher's thread (never on the caller's), exactly once,
    /// in submission order. A nil command sends nothing and completes with a failure, in its place in that order.
    func submit(_ command: [RedisArgument]?, completion: @escaping Completion) {
        let (accepted, startFlusher) = state.withLock { s -> (Bool, Bool) in
            guard s.pending.count < maxPending else { return (false, false) }
            s.pending.append(Entry(command: command, completion: completion))
            if s.flushing { return (true, false) }
            s.flushing = true
            return (true, true)
        }
        if !accepted {
            let error = RedisError.unavailable("\(maxPending) journal writes are already waiting for \(client.endpoint)")
            return flusher.async { completion(.failure(error)) }
        }
        if startFlusher { flusher.async { [self] in drain() } }
    }

    /// Flushes batches until nothing is waiting.
    private func drain() {
        while let batch = state.withLock({ s -> [Entry]? in
            guard !s.pending.isEmpty else {
                s.flushing = false
                return nil
            }
            let batch = Array(s.pending.prefix(Self.maxBatch))
            s.pending.removeFirst(batch.count)
            s.largestBatch = max(s.largestBatch, batch.count)
            return batch
        }) {
            let commands = batch.compactMap(\.command)
            var results = flush(commands)[...]
            for entry in batch {
                entry.completion(entry.command == nil ? .failure(.unavailable("not sent")) : results.removeFirst())
            }
        }
    }

    private func flush(_ commands: [[RedisArgument]]) -> [Result<Written, RedisError>] {
        guard !commands.isEmpty else { return [] }
        do {
            let wait: [[RedisArgument]] = waitReplicas > 0
                ? [["WAIT", RedisArgument(waitReplicas), RedisArgument(waitTimeoutMilliseconds)]] : []
            var replies = try client.pipeline(commands + wait)
            let replicas = wait.isEmpty ? nil : Int(replies.removeLast().integer ?? 0)
            let refused = replies.indices.filter { replies[$0].isNoScript }
            if !refused.isEmpty {
                _ = try client.pipeline(scripts.map(\.load))
                var again = try client.pipeline(refused.map { commands[$0] } + wait)
                let confirmed = wait.isEmpty ? nil : Int(again.removeLast().integer ?? 0)
                for (k, i) in refused.enumerated() { replies[i] = again[k] }
                // Re-run commands were written later; their batch is confirmed as far as the later WAIT says.
                return replies.indices.map { i in
                    .success(Written(reply: replies[i], replicas: refused.contains(i) ? confirmed : replicas))
                }
            }
            return replies.map { .success(Written(reply: $0, replicas: replicas)) }
        } catch {
            let failure = error as? RedisError ?? .unavailable("\(error)")
            return commands.map { _ in .failure(failure) }
        }
    }
}
