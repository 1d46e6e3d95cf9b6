import Histogram
import Synchronization

/// The stages an update passes through on its way to the first frame that reflects it, and the work a session does
/// meanwhile that others wait behind. Each is one HDR histogram (`LatencyStages`), so a tail can be traced to where
/// it was spent.
public enum LatencyStage: String, CaseIterable, Sendable {
    /// Submit → acknowledged: the journal append in cluster mode (not recorded without a journal).
    case journal
    /// Acknowledged (ready) → taken by its session's slice, per update: the ready queue plus the step then running.
    case inbox
    /// Updates ready → the urgent slice that applies them started (a worker took the session from the urgent lane).
    case readyQueue = "ready_queue"
    /// More steps wanted → the solving slice started (round-robin over every solving session; not on the path of a
    /// first frame).
    case solvingQueue = "solving_queue"
    /// Applying a batch of ready updates and re-planning the solve (push setup, factor re-solve), per batch.
    case apply
    /// Building the first frame after updates and offering it to every subscriber (encoding included), per batch.
    case frame
    /// Ready → the first frame reflecting it published, per update: the sum of the stages above.
    case updateToFrame = "update_to_frame"
    /// One slice: what the sessions queued behind it wait.
    case slice
    /// One solver step (a global step, a push, a factor re-solve).
    case step
    /// One verification (probe, assess, maybe correct).
    case verification
    /// Encoding one event to JSON (once per event, shared by its subscribers).
    case encode
    /// An event frame queued on a connection → handed to the kernel by the service thread.
    case transport
    /// A frame held back for a subscriber (rate cap or slow consumer) → delivered in place of the ones it replaced.
    case coalesced
}

/// Percentiles of one stage, in nanoseconds.
public struct StageSummary: Sendable, Equatable {
    public var count: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64
    public var mean: Double

    /// `{count, p50_us, p90_us, p99_us, p999_us, max_us, mean_us}` for reports.
    public var json: [String: Double] {
        ["count": Double(count), "p50_us": Double(p50) / 1e3, "p90_us": Double(p90) / 1e3, "p99_us": Double(p99) / 1e3,
         "p999_us": Double(p999) / 1e3, "max_us": Double(max) / 1e3, "mean_us": mean / 1e3]
    }
}

/// One HDR histogram per `LatencyStage` (1 µs to 100 s at 3 significant digits, about 150 KB each, made on first use), recorded from
/// any thread. Each stage has its own lock, held only for one `record` (tens of nanoseconds), so the scheduler's
/// workers and the service thread never wait on each other for long. Values are cumulative since creation or the
/// last `reset` (benchmarks reset between phases; `/metrics` never resets).
public final class LatencyStages: Sendable {
    /// A stage's histogram, made on its first record: stages a process never passes through cost nothing.
    private final class Slot: Sendable {
        let histogram = Mutex<Histogram<UInt64>?>(nil)
    }

    /// Values above this are recorded as this (a stall longer than 100 s is reported as 100 s).
    static let highest: UInt64 = 100_000_000_000
    private let slots: [Slot]

    public init() {
        slots = LatencyStage.allCases.map { _ in Slot() }
    }

    /// Each stage's position in `allCases` (and in `slots`), computed once: `allCases` makes a new array per call.
    private static let positions = Dictionary(uniqueKeysWithValues: LatencyStage.allCases.enumerated().map { ($1, $0) })

    private func slot(_ stage: LatencyStage) -> Slot {
        // Invariant: `slots` holds one slot per case, in `allCases` order.
        slots[Self.positions[stage]!]
    }

    public func record(_ stage: LatencyStage, nanoseconds: UInt64) {
        let value = min(nanoseconds, Self.highest)
        slot(stage).histogram.withLock { h in
            if h == nil {
                h = Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: Self.highest,
                              numberOfSignificantValueDigits: .three)
            }
            _ = h!.record(value)
        }
    }

    /// Records `end − start` (uptime nanoseconds); nothing when the clock went backwards.
    public func record(_ stage: LatencyStage, from start: UInt64, to end: UInt64) {
        guard end >= start else { return }
        record(stage, nanoseconds: end - start)
    }

    public func summary(_ stage: LatencyStage) -> StageSummary {
        slot(stage).histogram.withLock { h in
            guard let h else { return StageSummary(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0) }
            return StageSummary(count: h.totalCount, p50: h.valueAtPercentile(50), p90: h.valueAtPercentile(90),
                         p99: h.valueAtPercentile(99), p999: h.valueAtPercentile(99.9), max: h.max, mean: h.mean)
        }
    }

    /// Every stage that recorded something.
    public var summaries: [(stage: LatencyStage, summary: StageSummary)] {
        LatencyStage.allCases.compactMap { stage in
            let s = summary(stage)
            return s.count > 0 ? (stage, s) : nil
        }
    }

    public func reset() {
        for slot in slots { slot.histogram.withLock { $0?.reset() } }
    }
}
