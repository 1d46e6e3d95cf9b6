/// Why a session ended on this node; the raw value is what `session_closed` events and logs carry.
public enum SessionCloseReason: String, Sendable, CaseIterable {
    /// `DELETE /api/v1/sessions/{id}` or the MCP tool.
    case closedByClient = "closed_by_client"
    /// No request or update for the idle timeout.
    case idleTimeout = "idle_timeout"
    /// The maximum session duration passed.
    case maxDuration = "max_duration"
    /// The cluster store refused its creation (lease or first snapshot), after it was built.
    case refused
    /// Cluster mode: another node owns it now (lease lost); it lives on there.
    case migrated
    /// This node shuts down; in cluster mode the session is handed over to another node.
    case shutdown

    /// The session continues elsewhere (cluster mode): updates sent to this copy are "retry", not "gone".
    public var isHandover: Bool { self == .migrated || self == .shutdown }
}
