import Dispatch
import Foundation
import SolverCore
import SolverSession
import Synchronization

/// One session under load and the sink that times its frames.
struct LoadedSession: @unchecked Sendable {
    let session: Session
    let sink: LatencySink
}

/// Pushes cost updates into sessions from `producers` threads (sessions are split between them, so each session has
/// one producer and its seqs arrive in order) and collects update → first-frame latencies.
///
/// Open loop: producers pace themselves to `rate` updates per second in total, round-robin over their sessions,
/// whatever the sessions do (queues are bounded by rate × seconds). Each update's latency runs from when it was due,
/// not when its producer got round to it, so a stall (of a session or of the producer itself) counts against every
/// update it delayed (no coordinated omission). The rate reported is the rate updates were applied and reported:
/// updates divided by the time until the last one's frame arrived.
struct UpdateDriver {
    let fleet: [LoadedSession]
    let producers: Int

    struct Outcome {
        var updates = 0
        var entries = 0
        var offeredRate = 0.0
        /// From the first submit until every submitted update's frame arrived (or the drain timed out).
        var seconds = 0.0
        /// From the last submit until the last frame: the backlog left when the offer ended.
        var drainSeconds = 0.0
        var cpuSeconds = 0.0
        var latencies: [UInt64] = []
        var undelivered = 0

        var json: [String: Any] {
            let delivered = Double(updates - undelivered), perUpdate = Double(entries) / Double(max(1, updates))
            return ["updates": updates, "entries": entries, "seconds": seconds, "offered_per_second": offeredRate,
             "drain_seconds": drainSeconds, "sustained": undelivered == 0,
             "updates_per_second": delivered / seconds, "entries_per_second": delivered * perUpdate / seconds,
             "updates_per_cpu_second": delivered / cpuSeconds,
             "cpu_cores_busy": cpuSeconds / seconds, "undelivered": undelivered,
             "latency": LatencySummary(nanoseconds: latencies).json]
        }
    }

    /// Offers `rate` updates per second for `seconds`, then waits up to `drainTimeout` for the last frames.
    func run(seconds: Double, rate: Double, drainTimeout: Double,
             makeUpdate: @escaping @Sendable (inout SplitMix64, Int) -> CostUpdate) -> Outcome {
        for loaded in fleet { _ = loaded.sink.takeLatencies() }
        let counts = Counts()
        let cpuStart = ProcessStats.cpuSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        let group = DispatchGroup()
        for p in 0..<producers {
            let mine = stride(from: p, to: fleet.count, by: producers).map { fleet[$0] }
            let budget = Int(rate * seconds) / producers
            let interval = Double(producers) / rate * 1e9
            group.enter()
            let thread = Thread {
                var random = SplitMix64(seed: 0x5E55 &+ UInt64(p))
                var sent = 0, entries = 0, cursor = 0
                while sent < budget, !mine.isEmpty {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now >= deadline { break }
                    let due = start + UInt64(Double(sent) * interval)
                    if now < due {
                        usleep(50)
                        continue
                    }
                    let target = mine[cursor % mine.count]
                    cursor += 1
                    let update = makeUpdate(&random, target.session.dimension)
                    _ = try? target.session.submit(update) { seq in target.sink.submitted(seq: seq, at: due) }
                    sent += 1
                    entries += update.entryCount
                }
                counts.add(updates: sent, entries: entries)
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let offerEnd = DispatchTime.now().uptimeNanoseconds
        let drainDeadline = DispatchTime.now().uptimeNanoseconds + UInt64(drainTimeout * 1e9)
        while fleet.contains(where: { $0.sink.outstanding > 0 }), DispatchTime.now().uptimeNanoseconds < drainDeadline {
            usleep(2000)  // polling 1,000 sinks costs CPU the sessions need
        }
        var outcome = Outcome()
        outcome.offeredRate = rate
        outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        outcome.drainSeconds = Double(DispatchTime.now().uptimeNanoseconds - offerEnd) / 1e9
        outcome.cpuSeconds = ProcessStats.cpuSeconds() - cpuStart
        (outcome.updates, outcome.entries) = counts.totals
        outcome.undelivered = fleet.reduce(0) { $0 + $1.sink.outstanding }
        outcome.latencies = fleet.flatMap { $0.sink.takeLatencies() }
        return outcome
    }

    /// Totals over the producers, each adding its own once before it leaves the group.
    private final class Counts: Sendable {
        private let sums = Mutex((updates: 0, entries: 0))
        func add(updates: Int, entries: Int) { sums.withLock { $0 = ($0.updates + updates, $0.entries + entries) } }
        var totals: (Int, Int) { sums.withLock { ($0.updates, $0.entries) } }
    }
}

/// Random cost updates: `entries` additive changes to `b` at random rows (a small perturbation each).
enum RandomUpdates {
    static func deltas(_ entries: Int) -> @Sendable (inout SplitMix64, Int) -> CostUpdate {
        { random, n in
            var indices = [Int](), values = [Double]()
            indices.reserveCapacity(entries)
            values.reserveCapacity(entries)
            for _ in 0..<entries {
                indices.append(Int(random.next() % UInt64(n)))
                values.append(1e-3 * (random.nextDouble() - 0.5))
            }
            return CostUpdate(deltaIndices: indices, deltaValues: values)
        }
    }
}
