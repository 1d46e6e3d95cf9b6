import Dispatch
import SolverSession
import Synchronization

/// A subscriber that timestamps update → first `iteration_update` reflecting it.
///
/// The producer calls `submitted(seq:at:)` from `Session.submit`'s `acknowledge` closure, which runs before the
/// update can be applied; `offer` matches every pending seq ≤ the frame's `lastAppliedSeq` (one producer per
/// session, so pending seqs are increasing). The sink lock is a leaf: nothing is called while holding it.
final class LatencySink: SessionEventSink {
    private struct State {
        var pending: [(seq: UInt64, start: UInt64)] = []
        var head = 0
        var nanoseconds: [UInt64] = []
        var frames = 0
    }
    private let state = Mutex(State())

    func submitted(seq: UInt64, at start: UInt64) {
        state.withLock { $0.pending.append((seq, start)) }
    }

    func offer(_ event: SessionEvent) -> Bool {
        guard case .iterationUpdate(let frame) = event.body else { return true }
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { s in
            s.frames += 1
            while s.head < s.pending.count, s.pending[s.head].seq <= frame.lastAppliedSeq {
                s.nanoseconds.append(now - s.pending[s.head].start)
                s.head += 1
            }
            if s.head > 256, s.head * 2 > s.pending.count {
                s.pending.removeFirst(s.head)
                s.head = 0
            }
        }
        return true
    }

    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {}

    /// Updates submitted whose frame has not arrived yet.
    var outstanding: Int { state.withLock { $0.pending.count - $0.head } }

    /// Takes the latencies recorded so far (and forgets them).
    func takeLatencies() -> [UInt64] {
        state.withLock { s in
            defer { s.nanoseconds.removeAll() }
            return s.nanoseconds
        }
    }
}

/// Percentiles of latency samples in nanoseconds, reported in microseconds.
struct LatencySummary {
    let count: Int
    let p50: Double
    let p90: Double
    let p99: Double
    let p999: Double
    let max: Double

    init(nanoseconds: [UInt64]) {
        let sorted = nanoseconds.sorted()
        count = sorted.count
        func at(_ q: Double) -> Double {
            sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1000
        }
        p50 = at(0.5)
        p90 = at(0.9)
        p99 = at(0.99)
        p999 = at(0.999)
        max = sorted.last.map { Double($0) / 1000 } ?? .nan
    }

    var json: [String: Any] {
        ["count": count, "p50_us": p50, "p90_us": p90, "p99_us": p99, "p999_us": p999, "max_us": max]
    }
}
