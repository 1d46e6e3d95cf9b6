import Synchronization

/// Counters the routes keep, rendered at `/metrics` in Prometheus text format.
final class ServiceMetrics: Sendable {
    let httpRequests = Atomic<Int>(0)
    let webSocketsOpened = Atomic<Int>(0)
    let webSocketsClosed = Atomic<Int>(0)
    let webSocketMessages = Atomic<Int>(0)
    let updatesAccepted = Atomic<Int>(0)
    let updatesRejected = Atomic<Int>(0)
    let sessionsCreated = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)

    /// Prometheus text exposition of these counters plus the gauges the caller measures.
    func render(gauges: [(name: String, help: String, value: Double)]) -> String {
        var out = ""
        func counter(_ name: String, _ help: String, _ value: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        counter("solverd_http_requests_total", "HTTP requests received.", httpRequests.load(ordering: .relaxed))
        counter("solverd_websocket_connections_opened_total", "WebSocket connections opened.", webSocketsOpened.load(ordering: .relaxed))
        counter("solverd_websocket_connections_closed_total", "WebSocket connections closed.", webSocketsClosed.load(ordering: .relaxed))
        counter("solverd_websocket_messages_total", "WebSocket messages received.", webSocketMessages.load(ordering: .relaxed))
        counter("solverd_updates_total", "Cost updates accepted (acknowledged).", updatesAccepted.load(ordering: .relaxed))
        counter("solverd_sessions_created_total", "Sessions created.", sessionsCreated.load(ordering: .relaxed))
        counter("solverd_errors_total", "Requests and messages answered with an error.", errors.load(ordering: .relaxed))
        counter("solverd_bytes_received_total", "Request and message bytes received.", bytesIn.load(ordering: .relaxed))
        counter("solverd_bytes_sent_total", "Response and frame bytes sent by the routes.", bytesOut.load(ordering: .relaxed))
        for gauge in gauges {
            out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n"
        }
        return out
    }
}
