import Foundation

/// Group commit over one `RedisClient`: callers on any thread hand in one command each and block until it ran;
/// whichever caller finds no flush in progress becomes the flusher and sends everything waiting in one pipeline
/// (leader/follower, no extra thread). N concurrent callers cost about one round trip, not N.
///
/// Scripts (`EVALSHA`) that Redis does not know yet (first use, or after a restart) are loaded and the refused
/// commands re-run once, in their original order — a `NOSCRIPT` reply means the command had no effect.
final class GroupCommit: @unchecked Sendable {
    private final class Entry {
        let command: [RedisArgument]
        var result: Result<RESPValue, RedisError>?
        init(_ command: [RedisArgument]) { self.command = command }
    }

    let client: RedisClient
    private let scripts: [RedisScript]
    /// Guards `pending` and `flushing`; `Entry.result` is written under it too.
    private let condition = NSCondition()
    private var pending: [Entry] = []
    private var flushing = false
    /// Largest batch sent so far (metrics, tests).
    private(set) var largestBatch = 0

    init(client: RedisClient, scripts: [RedisScript]) {
        self.client = client
        self.scripts = scripts
    }

    /// Runs `command` (possibly together with others) and returns its reply; throws when the connection failed.
    func run(_ command: [RedisArgument]) throws -> RESPValue {
        let entry = Entry(command)
        condition.lock()
        pending.append(entry)
        while entry.result == nil {
            if flushing {
                condition.wait()
                continue
            }
            flushing = true
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            largestBatch = max(largestBatch, batch.count)
            condition.unlock()
            let results = flush(batch.map(\.command))
            condition.lock()
            for (e, r) in zip(batch, results) { e.result = r }
            flushing = false
            condition.broadcast()
        }
        condition.unlock()
        return try entry.result!.get()
    }

    private func flush(_ commands: [[RedisArgument]]) -> [Result<RESPValue, RedisError>] {
        do {
            var replies = try client.pipeline(commands)
            let refused = replies.indices.filter { replies[$0].isNoScript }
            if !refused.isEmpty {
                _ = try client.pipeline(scripts.map(\.load))
                let again = try client.pipeline(refused.map { commands[$0] })
                for (k, i) in refused.enumerated() { replies[i] = again[k] }
            }
            return replies.map { .success($0) }
        } catch {
            let failure = error as? RedisError ?? .unavailable("\(error)")
            return commands.map { _ in .failure(failure) }
        }
    }
}
