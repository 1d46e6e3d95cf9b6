import SolverCore
import SolverSession
import SolverWire

/// Reply bodies and events, as `WireEncoder` writes them. Replies may gain members within a protocol version
/// (clients ignore unknown members), so objects stay open; error codes come from the registry itself.
extension OpenAPIDocument {
    static var responseSchemas: [(String, SpecNode)] {
        typealias S = Schema
        let phase = S.string(oneOf: SessionPhase.allCases.map(\.rawValue))
        return [
            ("Error", S.object([
                ("error", S.object([
                    ("code", S.string(oneOf: SolverError.Code.allCases.map(\.rawValue))),
                    ("message", S.string()),
                    ("field", S.string("The request member (a JSON path such as matrix.data.col_pointers) or header at fault.")),
                ], required: ["code", "message"])),
            ], required: ["error"])),
            ("SessionCreated", S.message("session_created", [
                ("session_id", S.sessionID), ("rows", S.count()), ("nnz", S.count()),
                ("method", S.string("The method running (hybrid names what it picked).")),
                ("method_reason", S.string()), ("reconvergence_mode", S.string()), ("phase", phase),
                ("tolerance", S.real()), ("last_applied_seq", S.seq), ("next_seq", S.seq),
                ("protocol_version", S.integer(minimum: 1)),
            ], required: ["session_id", "rows", "nnz", "method", "phase", "protocol_version"])),
            ("SessionStatus", S.message("session_status", [
                ("session_id", S.sessionID), ("phase", phase), ("rows", S.count()), ("nnz", S.count()),
                ("method", S.string()), ("method_reason", S.string()), ("reconvergence_mode", S.string()),
                ("iteration", S.count()), ("solve_iterations", S.count()), ("residual_norm", S.real()),
                ("relative_residual", S.real()), ("tolerance", S.real()), ("verified", S.boolean()),
                ("verification_score", S.real()), ("interval_multiplier", S.real()),
                ("last_applied_seq", S.seq), ("updates_applied", S.count()), ("updates_rejected", S.count()),
                ("pending_updates", S.count()), ("subscribers", S.count()),
                ("memory_bytes", S.count("Bytes the session holds: the sum of the members of memory.")),
                ("memory", S.object(MemoryBreakdown().components.map { ($0.name, S.count()) },
                                    required: MemoryBreakdown().components.map(\.name),
                                    description: "memory_bytes by component, in bytes: matrix (A, its diagonal index), transpose (A's column copy push keeps for a nonsymmetric A), vectors (b, x, r, the residual sum tree, the frame baseline), workspace (the running method's work vectors), preconditioner, factor, live_push (push's per-row marks and lists), events (retained and pending, estimated), swarm (cost reports), other (bookkeeping lists).")),
                ("total_flops", S.count()), ("created_at", S.timestamp), ("last_activity", S.timestamp),
                ("stop_reason", S.string()), ("owner", S.string("The node holding the session (cluster mode).")),
            ], required: ["session_id", "phase", "rows", "nnz", "method", "iteration", "last_applied_seq"])),
            ("SessionList", S.object([
                ("count", S.count()), ("sessions", S.array(S.ref("SessionStatus"))),
                ("remote", S.array(S.object([("session_id", S.sessionID), ("owner", S.string())], required: ["session_id"]),
                                   description: "Sessions held by other nodes (cluster mode, admins).")),
            ], required: ["count", "sessions"])),
            ("SessionDeleted", S.message("session_deleted", [("session_id", S.sessionID)], required: ["session_id"])),
            ("Solution", S.message("solution", [
                ("session_id", S.sessionID), ("seq", S.seq), ("iteration", S.count()), ("residual_norm", S.real()),
                ("relative_residual", S.real()), ("phase", phase), ("x", S.reals),
                ("indices", S.indices), ("values", S.reals),
            ], required: ["session_id", "seq", "phase"], description: "x whole, or indices and values when asked for entries.")),
            ("Ack", S.message("ack", [
                ("session_id", S.sessionID), ("seq", S.seq), ("ref", S.string()),
                ("source_node", S.string()), ("propagation_depth", S.count()),
            ], required: ["session_id", "seq"])),
            ("Health", S.object([("status", S.string(oneOf: ["ok", "draining"])), ("sessions", S.count())],
                                required: ["status", "sessions"])),
            ("Node", S.object([
                ("node_id", S.string()), ("address", S.string()), ("kind", S.string()), ("healthy", S.boolean()),
                ("last_heartbeat", S.real()), ("self", S.boolean()),
            ], required: ["node_id", "kind", "healthy", "self"])),
            ("ServiceStatus", S.message("service_status", [
                ("node_id", S.string()), ("version", S.string()),
                ("commit", S.string("The git commit the binary was built from.")), ("uptime_seconds", S.real()), ("sessions", S.count()),
                ("memory_bytes", S.count()), ("websocket_connections", S.count()), ("streams", S.count()),
                ("draining", S.boolean()), ("scheduler_width", S.count()),
                ("solving_priority", S.string(
                    "The solving threads' CPU priority now: idle, or background (nice 10) when configured so or while "
                    + "other busy processes starve them under idle.", oneOf: SessionScheduler.SolvingPriority.allCases.map(\.rawValue))),
                ("mode", S.string(oneOf: ["embedded", "cluster"])), ("cluster_store", S.string(oneOf: ["ok", "unreachable"])),
                ("nodes", S.array(S.ref("Node"))),
            ], required: ["node_id", "version", "sessions", "mode", "nodes"])),
            ("SwarmJoined", S.message("swarm_joined", [
                ("node_id", S.string()), ("mode", S.string()), ("nodes", S.array(S.string())),
            ], required: ["node_id", "nodes"])),
        ] + eventSchemas
    }

    /// The session events of NDJSON/SSE streams and WebSocket subscriptions (`Event`), plus the records only streams
    /// carry (`heartbeat`, `shutdown`).
    static var eventSchemas: [(String, SpecNode)] {
        typealias S = Schema
        func event(_ type: String, _ members: [(String, SpecNode)], required: [String] = []) -> SpecNode {
            S.message(type, [("session_id", S.sessionID), ("seq", S.seq), ("timestamp", S.timestamp), ("ref", S.string())]
                      + members, required: ["session_id", "timestamp"] + required)
        }
        let swarmRound = S.object([
            ("asked_nodes", S.count()), ("participating_nodes", S.count()), ("threshold", S.count()),
            ("consensus_reached", S.boolean()), ("agreement_level", S.real()), ("agreeing_nodes", S.array(S.string())),
            ("dissenting_nodes", S.array(S.string())), ("silent_nodes", S.array(S.string())),
        ])
        let eventNames = ["IterationUpdate", "VerificationResult", "ConvergenceSignal", "CorrectionApplied",
                          "UpdateRejected", "CostsAggregated", "SessionClosed"]
        return [
            ("Event", S.oneOf(eventNames.map(S.ref), description: "One session event; `seq` orders a session's events.")),
            ("IterationUpdate", event("iteration_update", [
                ("iteration", S.count()),
                ("x_partial", S.object([("indices", S.indices), ("values", S.reals)])),
                ("residual_norm", S.real()), ("relative_residual", S.real()), ("convergence_rate", S.real()),
                ("verified", S.boolean()), ("verification_score", S.real()),
                ("swarm_consensus", S.object([("participating_nodes", S.count()), ("agreement_level", S.real())])),
                ("performance", S.object([("iteration_time_ms", S.real()), ("memory_usage_mb", S.real()), ("flops", S.count())])),
                ("last_applied_seq", S.seq), ("method", S.string()),
                ("mode", S.string("How the latest updates are being absorbed: local_push, global_warm_start, factor_resolve, low_rank_update, refactor, or the initial solve.")),
            ], required: ["seq", "iteration", "residual_norm"])),
            ("VerificationResult", event("verification_result", [
                ("probe_id", S.string()), ("verified", S.boolean()), ("residual_components", S.reals),
                ("drift_detected", S.boolean()), ("correction_applied", S.boolean()), ("verification_time_ms", S.real()),
                ("probed_indices", S.indices), ("max_error", S.real()), ("relative_disagreement", S.real()),
                ("estimated_residual_norm", S.real()), ("interval_multiplier", S.real()), ("trigger", S.string()),
                ("swarm", swarmRound),
            ], required: ["probe_id", "verified"])),
            ("ConvergenceSignal", event("convergence_signal", [
                ("criteria", S.object([("residual_threshold", S.real()), ("consecutive_iterations", S.count()),
                                       ("swarm_agreement", S.real())])),
                ("current_state", S.object([("residual_norm", S.real()), ("relative_residual", S.real()),
                                            ("iterations_below_threshold", S.count()), ("swarm_consensus", S.real())])),
                ("converged", S.boolean()), ("reason", S.string()), ("iteration", S.count()),
                ("last_applied_seq", S.seq), ("reconvergence_mode", S.string()),
            ], required: ["seq", "converged", "last_applied_seq"])),
            ("CorrectionApplied", event("correction_applied", [
                ("trigger", S.string()), ("action", S.string()), ("detail", S.string()),
            ], required: ["seq", "action"])),
            ("UpdateRejected", event("update_rejected", [
                ("update_seq", S.seq), ("error", S.ref("ErrorMembers")),
            ], required: ["seq", "update_seq", "error"])),
            ("ErrorMembers", S.object([("code", S.string(oneOf: SolverError.Code.allCases.map(\.rawValue))),
                                       ("message", S.string()), ("field", S.string())], required: ["code", "message"])),
            ("CostsAggregated", event("costs_aggregated", [
                ("update_seq", S.seq), ("node_id", S.string()), ("source_node", S.string()),
                ("propagation_depth", S.count()), ("aggregation", S.string()), ("indices", S.indices),
                ("values", S.reals), ("contributing_nodes", S.array(S.count())),
            ], required: ["seq", "update_seq", "indices", "values"])),
            ("SessionClosed", event("session_closed", [("reason", S.string()), ("message", S.string())],
                                    required: ["reason"])),
            ("Heartbeat", S.message("heartbeat", [("timestamp", S.timestamp)], required: ["timestamp"])),
            ("Shutdown", S.message("shutdown", [("reason", S.string())])),
        ]
    }
}
