import Synchronization
import SolverCore

/// Sparse view of `x`: the entries a frame carries (`x_partial`).
public struct SparseEntries: Sendable, Equatable {
    public var indices: [Int]
    public var values: [Double]
    public init(indices: [Int] = [], values: [Double] = []) {
        self.indices = indices
        self.values = values
    }
}

/// `iteration_update` (docs/design.md §4.2) plus the sequence numbers that order it against updates.
public struct IterationUpdate: Sendable, Equatable {
    public var iteration: Int
    public var residualNorm: Double
    public var relativeResidual: Double
    /// Ratio of successive residual norms (< 1 while converging), over the last steps.
    public var convergenceRate: Double
    public var verified: Bool
    public var verificationScore: Double
    public var xPartial: SparseEntries
    public var swarmConsensus: SwarmConsensus
    public var performance: Performance
    /// Sequence number of the last cost update applied before this frame (0 when none).
    public var lastAppliedSeq: UInt64
    public var method: String
    public var mode: String

    public struct Performance: Sendable, Equatable {
        public var iterationTimeMs: Double
        public var memoryUsageMB: Double
        public var flops: Int
    }
}

/// `swarm_consensus` (docs/design.md §7.4): how many nodes took part in a verification and how far they agreed.
/// A single node votes alone.
public struct SwarmConsensus: Sendable, Equatable {
    public var participatingNodes: Int
    public var agreementLevel: Double
    public init(participatingNodes: Int, agreementLevel: Double) {
        self.participatingNodes = participatingNodes
        self.agreementLevel = agreementLevel
    }
    public static let singleNode = SwarmConsensus(participatingNodes: 1, agreementLevel: 1)
}

/// `verification_result` (docs/design.md §4.3).
public struct VerificationResult: Sendable, Equatable {
    public var probeID: String
    public var verified: Bool
    public var probedIndices: [Int]
    /// Exact residual `b_i − (A x)_i` of each probed row.
    public var residualComponents: [Double]
    public var maxError: Double
    public var relativeDisagreement: Double
    public var estimatedResidualNorm: Double
    public var driftDetected: Bool
    public var correctionApplied: Bool
    public var verificationTimeMs: Double
    public var intervalMultiplier: Double
    public var trigger: String
    /// Present for a swarm round (trigger `swarm`): who voted and how (docs/design.md §7.3).
    public var swarm: SwarmVerification?
}

/// The votes of a distributed verification round. `N` nodes were asked; consensus needs ⌊2N/3⌋ + 1 of them to
/// return matching residuals. Nodes whose answer differs from the consensus are named as dissenting.
public struct SwarmVerification: Sendable, Equatable {
    /// Nodes asked (N), this one included.
    public var askedNodes: Int
    /// Nodes that answered in time.
    public var participatingNodes: Int
    /// ⌊2N/3⌋ + 1.
    public var threshold: Int
    public var consensusReached: Bool
    /// Agreeing nodes / nodes asked.
    public var agreementLevel: Double
    /// The largest group of matching answers (the consensus when it reaches the threshold).
    public var agreeingNodes: [String]
    /// Answered, but differently from that group: outvoted.
    public var dissentingNodes: [String]
    /// Did not answer in time.
    public var silentNodes: [String]

    public init(askedNodes: Int, participatingNodes: Int, threshold: Int, consensusReached: Bool, agreementLevel: Double,
                agreeingNodes: [String], dissentingNodes: [String], silentNodes: [String]) {
        self.askedNodes = askedNodes
        self.participatingNodes = participatingNodes
        self.threshold = threshold
        self.consensusReached = consensusReached
        self.agreementLevel = agreementLevel
        self.agreeingNodes = agreeingNodes
        self.dissentingNodes = dissentingNodes
        self.silentNodes = silentNodes
    }
}

/// A swarm `cost_report` was combined with the other nodes' reports and the results replaced entries of `b`.
public struct CostsAggregated: Sendable, Equatable {
    /// The seq of the report (its ack).
    public var updateSeq: UInt64
    /// The reporting node.
    public var nodeID: String
    public var sourceNode: String?
    /// Hops left when the report reached the owner.
    public var propagationDepth: Int?
    public var aggregation: String
    public var indices: [Int]
    /// The combined values, now in `b`.
    public var values: [Double]
    /// How many nodes' reports each combined value draws on.
    public var contributingNodes: [Int]
}

/// `convergence_signal` (docs/design.md §4.4). The threshold is relative: ‖b − A x‖₂ ≤ tolerance · ‖b‖₂.
public struct ConvergenceSignal: Sendable, Equatable {
    public var residualThreshold: Double
    public var consecutiveIterations: Int
    public var residualNorm: Double
    public var relativeResidual: Double
    public var iterationsBelowThreshold: Int
    public var iteration: Int
    public var converged: Bool
    /// Why the solve stopped when it did not converge (`max_iterations`, `diverged`, `stagnated`, `breakdown`).
    public var reason: String?
    public var swarmConsensus: Double
    public var lastAppliedSeq: UInt64
    public var reconvergenceMode: String
}

/// An automatic correction the verification loop made (docs/design.md §6.3).
public struct CorrectionApplied: Sendable, Equatable {
    /// `drift`, `stagnation` or `divergence`.
    public var trigger: String
    /// `residual_recomputed`, `restarted` or `method_changed`.
    public var action: String
    public var detail: String
}

/// A queued cost update that could not be applied (an `old_value` mismatch); nothing of it was applied.
public struct UpdateRejected: Sendable, Equatable {
    public var updateSeq: UInt64
    public var error: SolverError
}

/// The session ended; no event follows.
public struct SessionClosed: Sendable, Equatable {
    /// `closed_by_client`, `idle_timeout`, `max_duration`, `shutdown`, `memory_limit`, `slow_consumer`, `migrated`.
    public var reason: String
    public var message: String
}

/// Everything a subscriber can receive, each stamped with the session's sequence number.
public enum SessionEventBody: Sendable, Equatable {
    case iterationUpdate(IterationUpdate)
    case verificationResult(VerificationResult)
    case convergenceSignal(ConvergenceSignal)
    case correctionApplied(CorrectionApplied)
    case updateRejected(UpdateRejected)
    case costsAggregated(CostsAggregated)
    case sessionClosed(SessionClosed)

    /// The wire `type` of the event.
    public var typeName: String {
        switch self {
        case .iterationUpdate: "iteration_update"
        case .verificationResult: "verification_result"
        case .convergenceSignal: "convergence_signal"
        case .correctionApplied: "correction_applied"
        case .updateRejected: "update_rejected"
        case .costsAggregated: "costs_aggregated"
        case .sessionClosed: "session_closed"
        }
    }
}

/// Bytes a transport made from one event, shared by every subscriber that receives the very same event, so an
/// event fanned out to 100 subscribers is encoded once. SolverSession never looks inside: the encoding is the
/// transport's business.
public final class EventEncodingCache: Sendable {
    private let bytes = Mutex<[UInt8]?>(nil)

    public init() {}

    /// The cached bytes, made by `encode` on first use.
    public func bytes(_ encode: () -> [UInt8]) -> [UInt8] {
        bytes.withLock { cached in
            if let cached { return cached }
            let made = encode()
            cached = made
            return made
        }
    }
}

public struct SessionEvent: Sendable, Equatable {
    public var sessionID: SessionID
    /// Orders every event and every accepted update of the session.
    public var seq: UInt64
    /// Seconds since 1970.
    public var timestamp: Double
    public var body: SessionEventBody

    /// Shared by the copies offered to subscribers in one publication; a per-subscriber body gets its own.
    public var encodingCache = EventEncodingCache()

    public init(sessionID: SessionID, seq: UInt64, timestamp: Double, body: SessionEventBody) {
        self.sessionID = sessionID
        self.seq = seq
        self.timestamp = timestamp
        self.body = body
    }

    /// Equal when id, seq, time and body are; the encoding cache is not part of the value.
    public static func == (a: SessionEvent, b: SessionEvent) -> Bool {
        a.sessionID == b.sessionID && a.seq == b.seq && a.timestamp == b.timestamp && a.body == b.body
    }
}

extension SessionEvent {
    /// Approximate bytes the event holds: the inline value plus its arrays (16 bytes per sparse entry or probe).
    var estimatedBytes: Int {
        let base = MemoryLayout<SessionEvent>.stride + 64
        switch body {
        case .iterationUpdate(let frame): return base + 32 + 16 * frame.xPartial.indices.count
        case .verificationResult(let result): return base + 64 + 16 * result.probedIndices.count
        case .costsAggregated(let report): return base + 64 + 24 * report.indices.count
        default: return base
        }
    }
}
