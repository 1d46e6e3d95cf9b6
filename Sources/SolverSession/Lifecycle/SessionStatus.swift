import SolverCore

/// Where a session's solve stands.
public enum SessionPhase: String, Sendable, Equatable, CaseIterable {
    /// Iterating towards the tolerance.
    case solving
    /// Converged; idle until an update arrives.
    case converged
    /// Stopped without converging (max iterations, divergence, stagnation, breakdown); idle until an update.
    case stopped
    case closed
}

/// A consistent snapshot of a session's state, published at the end of every slice; readable from any thread.
public struct SessionStatus: Sendable, Equatable {
    public var sessionID: SessionID
    public var phase: SessionPhase
    public var rows: Int
    public var nnz: Int
    public var method: String
    public var methodReason: String
    public var reconvergenceMode: String
    public var iteration: Int
    public var solveIterations: Int
    public var residualNorm: Double
    public var relativeResidual: Double
    public var tolerance: Double
    public var verified: Bool
    public var verificationScore: Double
    public var intervalMultiplier: Double
    public var lastAppliedSeq: UInt64
    public var updatesApplied: Int
    public var updatesRejected: Int
    public var pendingUpdates: Int
    public var subscribers: Int
    /// Bytes held, by component; `memoryBytes` is their sum.
    public var memory: MemoryBreakdown
    public var memoryBytes: Int { memory.total }
    public var totalFlops: Int
    public var createdAt: Double
    public var lastActivity: Double
    public var stopReason: String?
    public var owner: String?
}

/// `x` (or part of it) read between two solver steps, with the sequence number of the last update it reflects.
public struct SolutionRead: Sendable, Equatable {
    public var indices: [Int]?
    public var values: [Double]
    public var lastAppliedSeq: UInt64
    public var iteration: Int
    public var residualNorm: Double
    public var relativeResidual: Double
    public var phase: SessionPhase

    /// Also for reads relayed from elsewhere (the MCP tools' HTTP backend decodes a server's `solution` body).
    public init(indices: [Int]?, values: [Double], lastAppliedSeq: UInt64, iteration: Int, residualNorm: Double,
                relativeResidual: Double, phase: SessionPhase) {
        self.indices = indices
        self.values = values
        self.lastAppliedSeq = lastAppliedSeq
        self.iteration = iteration
        self.residualNorm = residualNorm
        self.relativeResidual = relativeResidual
        self.phase = phase
    }
}
