import Logging
import Metrics

/// What sessions report through the swift-log and swift-metrics APIs (the process chooses the backends): iterations,
/// iteration time, update → event latency, probe time, and a warning for slow iterations (10 ms by default). Make it
/// after the backends are bootstrapped; hot paths record to them once per slice, not per step. The latency stages
/// (`stages`) are HDR histograms behind their own short locks, recorded per update, step and event.
public struct SessionTelemetry: Sendable {
    public var logger: Logger
    /// A step slower than this is logged as a warning (at most every `slowWarningInterval` per session).
    public var slowIterationNanoseconds: UInt64
    public static let slowWarningInterval: UInt64 = 5_000_000_000
    let iterations = Counter(label: "solverd_iterations_total")
    let iterationTime = Metrics.Timer(label: "solverd_iteration_seconds")
    let updateLatency = Metrics.Timer(label: "solverd_update_event_latency_seconds")
    let probeTime = Metrics.Timer(label: "solverd_probe_seconds")
    /// Where updates wait, stage by stage (HDR histograms shared by every session of the registry, and by the
    /// transport for its stages).
    public let stages: LatencyStages

    public init(logger: Logger = Logger(label: "solverd.session", factory: { _ in SwiftLogNoOpLogHandler() }),
                slowIterationMilliseconds: Double = 10, stages: LatencyStages = LatencyStages()) {
        self.logger = logger
        self.stages = stages
        self.slowIterationNanoseconds = UInt64(max(0, slowIterationMilliseconds) * 1_000_000)
    }

    /// The labels `solverd` gives histogram buckets for (they measure microseconds to seconds).
    public static let timerLabels = ["solverd_iteration_seconds", "solverd_update_event_latency_seconds", "solverd_probe_seconds"]
}
