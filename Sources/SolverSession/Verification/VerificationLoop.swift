import SolverCore

/// The verification loop (docs/design.md §6) for one session: when to probe, what the probes say, drift by EWMA, and
/// the adaptive interval multiplier. Pure bookkeeping; the session runs the probes and the corrections.
struct VerificationLoop {
    /// Relative disagreement between maintained and exact residuals that counts as drift (10%).
    static let driftThreshold = 0.1
    static let ewmaAlpha = 0.1

    var interval: Int
    var probeCount: Int
    /// In [0.5, 2]: larger when probes keep agreeing and updates are rare, smaller otherwise (×1.1 or ×0.8 per probe).
    private(set) var multiplier = 1.0
    private(set) var lastVerifiedIteration = 0
    private(set) var driftEWMA = 0.0
    private(set) var lastScore = 1.0
    private(set) var lastVerified = true
    private var updatesSinceVerification = 0
    private var probeCounter: UInt64 = 0

    init(interval: Int, probeCount: Int) {
        self.interval = interval
        self.probeCount = probeCount
    }

    /// Whether a periodic verification is due at `iteration`.
    func isDue(at iteration: Int) -> Bool {
        Double(iteration - lastVerifiedIteration) >= Double(interval) * multiplier
    }

    mutating func noteUpdateApplied() { updatesSinceVerification += 1 }

    /// Restarts the interval count (a new solve began).
    mutating func resetIterationBase(_ iteration: Int) { lastVerifiedIteration = iteration }

    /// Whether any verification ran yet.
    var hasRun: Bool { probeCounter > 0 }

    mutating func nextProbeID() -> String {
        probeCounter += 1
        return "probe-\(probeCounter)"
    }

    struct Assessment {
        var verified: Bool
        var disagreement: Double
        var driftDetected: Bool
        var score: Double
    }

    /// Folds one probe into the state. `floor` is the residual size below which differences are rounding noise.
    mutating func assess(_ probe: ResidualProbe, floor: Double, iteration: Int) -> Assessment {
        let disagreement = probe.relativeDisagreement(floor: floor)
        driftEWMA = Self.ewmaAlpha * disagreement + (1 - Self.ewmaAlpha) * driftEWMA
        let drift = disagreement > Self.driftThreshold || driftEWMA > Self.driftThreshold
        let verified = !drift
        // Adapt: verify more often when probes disagree or updates arrive fast, less when stable.
        if !verified || updatesSinceVerification > 10 {
            multiplier = max(0.5, multiplier * 0.8)
        } else {
            multiplier = min(2.0, multiplier * 1.1)
        }
        updatesSinceVerification = 0
        lastVerifiedIteration = iteration
        lastVerified = verified
        lastScore = max(0, 1 - min(1, disagreement))
        return Assessment(verified: verified, disagreement: disagreement, driftDetected: drift, score: lastScore)
    }

    /// After a correction the maintained residual is exact again: the drift average restarts.
    mutating func correctionApplied() { driftEWMA = 0 }
}
