/// Predicts what each way of re-converging after an update costs, in seconds, and learns from what runs cost:
///
/// - local push: `rows · degree · (ln(‖r‖ / stop) / (1 − ρ))²` matrix entries, with `ρ` the largest off-diagonal
///   to diagonal ratio over the rows (the decay per push level; the correction spreads over a disc whose radius is
///   the number of levels), times the session's measured ratio of actual to predicted work and its measured
///   seconds per entry. `ρ ≥ 1` (no dominance) predicts no bound: push runs only where it already proved cheap;
/// - the global method: a factor's measured solve (plus one solve per row a low-rank correction adds), or an
///   iterative method's `ln(‖r‖ / stop) / −ln(rate)` steps at its measured rate and step time.
///
/// Measurements are exponential moving averages, so a session's costs follow its matrix as it changes.
struct ReconvergenceCosts {
    /// Largest `Σ_{j≠i} |a_ij| / |a_ii|` (∞ without a diagonal), from the last restart.
    var decay = Double.infinity
    var averageDegree = 5.0
    /// Measured push work over predicted push work: the model's constant, measured per session. Starts at what the
    /// shifted 5-point Laplacian showed (3.4–4× at shifts 1 and 0.2, the same at n = 2.5e5 and 1e6).
    var pushWorkRatio = 3.5
    var secondsPerPushEntry = 4e-9
    /// The global iterative method's residual reduction per step and step time, as measured.
    var globalRate = 0.5
    var globalStepSeconds = 0.0
    private static let smoothing = 0.5

    mutating func observeMatrix(_ properties: MatrixProperties) {
        decay = properties.minimumRowDominanceRatio > 0 ? 1 / properties.minimumRowDominanceRatio : .infinity
        averageDegree = Double(properties.nnz) / Double(max(1, properties.n))
    }

    /// Predicted entries local push touches to bring `‖r‖` from `norm` to `stop` after changes in `rows` rows: the
    /// disc of each change, but never more than every level sweeping the whole matrix (`nnz` entries).
    func predictedPushEntries(rows: Int, norm: Double, stop: Double, nnz: Int) -> Double {
        guard decay < 1, norm > stop, stop > 0 else { return norm <= stop ? 0 : .infinity }
        let levels = ReconvergenceCosts.naturalLog(norm / stop) / (1 - decay)
        return min(Double(rows) * averageDegree * levels, Double(nnz)) * levels * pushWorkRatio
    }

    func predictedIterativeSeconds(norm: Double, stop: Double, nnz: Int) -> Double {
        guard norm > stop else { return 0 }
        let steps = ReconvergenceCosts.naturalLog(norm / stop) / max(1e-3, -ReconvergenceCosts.naturalLog(globalRate))
        let stepSeconds = globalStepSeconds > 0 ? globalStepSeconds : Double(nnz) * 8e-9
        return (steps + 1) * stepSeconds
    }

    mutating func observePush(entries: Int, predicted: Double, seconds: Double) {
        if predicted.isFinite, predicted > 0 {
            pushWorkRatio = Self.blend(pushWorkRatio, pushWorkRatio * Double(entries) / predicted)
        }
        if entries > 10_000 { secondsPerPushEntry = Self.blend(secondsPerPushEntry, seconds / Double(entries)) }
    }

    mutating func observeGlobalStep(seconds: Double, before: Double, after: Double) {
        globalStepSeconds = globalStepSeconds == 0 ? seconds : Self.blend(globalStepSeconds, seconds)
        if before > 0, after > 0, after < before { globalRate = Self.blend(globalRate, after / before) }
    }

    private static func blend(_ old: Double, _ new: Double) -> Double { old + smoothing * (new - old) }

    /// ln x from the binary exponent and a short series for the mantissa (to ~1e-3): no math library in SolverCore.
    static func naturalLog(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .infinity }
        let m = x.significand  // in [1, 2)
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        return Double(x.exponent) * 0.6931471805599453 + 2 * t * (1 + t2 / 3 + t2 * t2 / 5 + t2 * t2 * t2 / 7)
    }
}
