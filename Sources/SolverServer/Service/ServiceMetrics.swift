import CoreMetrics
import Synchronization

/// The server's metrics through the swift-metrics API (the process picks the backend; `solverd` renders
/// Prometheus text at `/metrics`). Handles are made once, so hot paths only add to an atomic counter.
final class ServiceMetrics: Sendable {
    let httpRequests = Counter(label: "solverd_http_requests_total")
    let webSocketsOpened = Counter(label: "solverd_connections_total", dimensions: [("kind", "websocket")])
    let streamsOpened = Counter(label: "solverd_connections_total", dimensions: [("kind", "stream")])
    let webSocketsClosed = Counter(label: "solverd_websocket_connections_closed_total")
    let webSocketMessages = Counter(label: "solverd_websocket_messages_total")
    let updatesAccepted = Counter(label: "solverd_updates_total")
    let sessionsCreated = Counter(label: "solverd_sessions_created_total")
    let errors = Counter(label: "solverd_errors_total")
    let bytesIn = Counter(label: "solverd_bytes_received_total")
    let bytesOut = Counter(label: "solverd_bytes_sent_total")
    let sessionsActive = Gauge(label: "solverd_sessions_active")
    let sessionsConverged = Gauge(label: "solverd_sessions_converged")
    let sessionMemory = Gauge(label: "solverd_session_memory_bytes")
    let webSocketConnections = Gauge(label: "solverd_websocket_connections")
    let streamsOpen = Gauge(label: "solverd_streams_open")
    /// 1 while the solving lane runs under the idle CPU policy, 0 at nice 10 (configured, or starved under idle).
    let solvingIdlePriority = Gauge(label: "solverd_solving_idle_priority")
    /// Falls back from the idle policy because the solving threads starved (`StarvationGuard`).
    private let solvingFallbacks = Counter(label: "solverd_solving_fallbacks_total")
    private let solvingFallbacksCounted = Atomic<Int>(0)
    private let rejects = Mutex<[String: Counter]>([:])

    /// Known refusal reasons, registered up front so the family is present before the first refusal.
    static let rejectReasons = ["unauthorized", "forbidden", "ip_requests", "principal_requests", "updates",
                                "ip_connections", "principal_streams", "websocket_abuse", "origin", "host"]

    init() {
        for reason in Self.rejectReasons { _ = counter(reason) }
    }

    /// Brings `solverd_solving_fallbacks_total` up to the scheduler's count (read at scrape time).
    func countSolvingFallbacks(upTo total: Int) {
        let counted = solvingFallbacksCounted.exchange(total, ordering: .relaxed)
        if total > counted { solvingFallbacks.increment(by: Int64(total - counted)) }
    }

    /// Counts one refusal under `solverd_rejects_total{reason=…}`.
    func reject(_ reason: String) { counter(reason).increment() }

    private func counter(_ reason: String) -> Counter {
        rejects.withLock { table in
            if let existing = table[reason] { return existing }
            let made = Counter(label: "solverd_rejects_total", dimensions: [("reason", reason)])
            table[reason] = made
            return made
        }
    }
}
