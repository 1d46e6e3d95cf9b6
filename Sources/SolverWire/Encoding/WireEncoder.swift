import Foundation
import SolverCore
import SolverSession

/// Server → client JSON: every function returns one compact JSON object (no trailing newline), ready for a
/// WebSocket text frame, an HTTP body, or `StreamFraming`. Member names are the protocol's snake_case ones; every
/// reply to a client message carries the message's `id` back as `ref` when it had one.
public enum WireEncoder {
    /// Runs `body` inside one top-level object and returns the bytes.
    static func encode(capacity: Int = 256, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: capacity)
        writer.object(body)
        return writer.bytes
    }

    /// `body`, an encoded JSON object (an owner's answer relayed from another node), with `ref` as its first
    /// member, so it correlates with the request like a reply encoded here; unchanged when `ref` is nil.
    public static func withReference(_ body: [UInt8], ref: String?) -> [UInt8] {
        guard let ref, body.count >= 2, body.first == UInt8(ascii: "{") else { return body }
        var member = encode { w in w.field("ref", ref) }
        member.removeLast()  // its closing brace: the body's members follow
        let rest = body.dropFirst()
        if rest.first != UInt8(ascii: "}") { member.append(UInt8(ascii: ",")) }
        return member + rest
    }

    /// `type`, then `ref` when present: the head every reply shares.
    static func head(_ w: inout JSONWriter, type: String, ref: String?) {
        w.field("type", type)
        w.field("ref", ref)
    }

    /// `type: session_created`: the session exists and is solving. `next_seq`, when the caller knows it, is the
    /// first sequence number a subscriber will see.
    public static func sessionCreated(_ status: SessionStatus, ref: String?, nextSeq: UInt64? = nil) -> [UInt8] {
        encode { w in
            head(&w, type: "session_created", ref: ref)
            w.field("session_id", status.sessionID.rawValue)
            w.field("rows", status.rows)
            w.field("nnz", status.nnz)
            w.field("method", status.method)
            w.field("method_reason", status.methodReason)
            w.field("reconvergence_mode", status.reconvergenceMode)
            w.field("phase", status.phase.rawValue)
            w.field("tolerance", status.tolerance)
            w.field("last_applied_seq", status.lastAppliedSeq)
            w.field("next_seq", nextSeq)
            w.field("protocol_version", WireProtocol.version)
        }
    }

    public static func subscribed(sessionID: SessionID, nextSeq: UInt64, ref: String?) -> [UInt8] {
        encode { w in
            head(&w, type: "subscribed", ref: ref)
            w.field("session_id", sessionID.rawValue)
            w.field("next_seq", nextSeq)
            w.field("protocol_version", WireProtocol.version)
        }
    }

    public static func unsubscribed(sessionID: SessionID, ref: String?) -> [UInt8] {
        encode { w in
            head(&w, type: "unsubscribed", ref: ref)
            w.field("session_id", sessionID.rawValue)
        }
    }

    /// An accepted `cost_update` or `cost_report`: `seq` orders it against the session's events
    /// (`last_applied_seq`); `source_node` and the `propagation_depth` left are echoed when known.
    public static func ack(sessionID: SessionID, seq: UInt64, ref: String?, echoing update: CostUpdate? = nil) -> [UInt8] {
        encode { w in
            head(&w, type: "ack", ref: ref)
            w.field("session_id", sessionID.rawValue)
            w.field("seq", seq)
            w.field("source_node", update?.sourceNode)
            w.field("propagation_depth", update?.propagationDepth)
        }
    }

    public static func pong(ref: String?) -> [UInt8] {
        encode { w in head(&w, type: "pong", ref: ref) }
    }

    /// WebSocket error frame: `{"type":"error","code","message","field"?,"ref"?}`.
    public static func error(_ error: SolverError, ref: String?) -> [UInt8] {
        encode { w in
            w.field("type", "error")
            writeErrorMembers(&w, error)
            w.field("ref", ref)
        }
    }

    /// HTTP error body: `{"error":{"code","message","field"?}}`, with the status from `error.httpStatus`.
    public static func errorBody(_ error: SolverError) -> [UInt8] {
        encode { w in
            w.field("error") { w in writeErrorMembers(&w, error) }
        }
    }

    static func writeErrorMembers(_ w: inout JSONWriter, _ error: SolverError) {
        w.field("code", error.code.rawValue)
        w.field("message", error.message)
        w.field("field", error.field)
    }

    /// `type: session_status`: every member of `SessionStatus`; times as ISO-8601 like event timestamps.
    /// `memory` breaks `memory_bytes` down by component (they sum to it).
    public static func status(_ s: SessionStatus) -> [UInt8] {
        encode(capacity: 896) { w in
            w.field("type", "session_status")
            w.field("session_id", s.sessionID.rawValue)
            w.field("phase", s.phase.rawValue)
            w.field("rows", s.rows)
            w.field("nnz", s.nnz)
            w.field("method", s.method)
            w.field("method_reason", s.methodReason)
            w.field("reconvergence_mode", s.reconvergenceMode)
            w.field("iteration", s.iteration)
            w.field("solve_iterations", s.solveIterations)
            w.field("residual_norm", s.residualNorm)
            w.field("relative_residual", s.relativeResidual)
            w.field("tolerance", s.tolerance)
            w.field("verified", s.verified)
            w.field("verification_score", s.verificationScore)
            w.field("interval_multiplier", s.intervalMultiplier)
            w.field("last_applied_seq", s.lastAppliedSeq)
            w.field("updates_applied", s.updatesApplied)
            w.field("updates_rejected", s.updatesRejected)
            w.field("pending_updates", s.pendingUpdates)
            w.field("subscribers", s.subscribers)
            w.field("memory_bytes", s.memoryBytes)
            w.field("memory", object: { m in
                for (name, bytes) in s.memory.components { m.field(name, bytes) }
            })
            w.field("total_flops", s.totalFlops)
            w.field("created_at", ISO8601Timestamp.format(s.createdAt))
            w.field("last_activity", ISO8601Timestamp.format(s.lastActivity))
            w.field("stop_reason", s.stopReason)
            w.field("owner", s.owner)
        }
    }

    /// `type: solution`: `x` whole, or `indices` + `values` when specific entries were asked for. `seq` is the
    /// last update the values reflect.
    public static func solution(_ read: SolutionRead, sessionID: SessionID) -> [UInt8] {
        encode(capacity: 256 + read.values.count * 20) { w in
            w.field("type", "solution")
            w.field("session_id", sessionID.rawValue)
            w.field("seq", read.lastAppliedSeq)
            w.field("iteration", read.iteration)
            w.field("residual_norm", read.residualNorm)
            w.field("relative_residual", read.relativeResidual)
            w.field("phase", read.phase.rawValue)
            if let indices = read.indices {
                w.field("indices", indices)
                w.field("values", read.values)
            } else {
                w.field("x", read.values)
            }
        }
    }

    /// A `verification_result` outside the event stream (the reply to `POST /verify` or a WebSocket `verify`,
    /// then with `ref`), stamped now.
    public static func verificationResult(_ r: VerificationResult, sessionID: SessionID, seq: UInt64?,
                                          ref: String? = nil) -> [UInt8] {
        encode(capacity: 512) { w in
            head(&w, type: "verification_result", ref: ref)
            w.field("session_id", sessionID.rawValue)
            w.field("seq", seq)
            w.field("timestamp", ISO8601Timestamp.format(Date().timeIntervalSince1970))
            writeMembers(&w, r)
        }
    }

    /// The server is stopping (NDJSON/SSE streams get this as their last record).
    public static func shutdown(reason: String) -> [UInt8] {
        encode { w in
            w.field("type", "shutdown")
            w.field("reason", reason)
        }
    }

    /// Keeps idle streams alive (every 15 s by default); `timestamp` is seconds since 1970, sent as ISO-8601.
    public static func heartbeat(timestamp: Double) -> [UInt8] {
        encode { w in
            w.field("type", "heartbeat")
            w.field("timestamp", ISO8601Timestamp.format(timestamp))
        }
    }
}
