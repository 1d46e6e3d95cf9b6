import Logging
import Metrics
import Prometheus
import SolverConfig
import SolverSession

/// Picks the process's log and metrics backends, once, before anything makes a logger or a metric.
enum Observability {
    /// Bootstraps swift-log (text or JSON lines on stderr) and swift-metrics (Prometheus); returns the renderer
    /// for `/metrics`.
    static func bootstrap(_ logging: SolverdConfig.Logging) -> @Sendable () -> String {
        let level = Logger.Level(rawValue: logging.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = logging.format == "json"
                ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let fine: [Duration] = [.microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
                                .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)]
        for label in SessionTelemetry.timerLabels { factory.durationHistogramBuckets[label] = fine }
        MetricsSystem.bootstrap(factory)
        return { registry.emitToString() }
    }
}
