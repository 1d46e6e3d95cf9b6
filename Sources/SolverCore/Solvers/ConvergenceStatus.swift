/// Where a solve stands; the raw values are the wire strings.
public enum ConvergenceStatus: String, Sendable, Equatable, Codable {
    case running
    case converged
    /// The residual became non-finite or grew far beyond the best seen.
    case diverged
    /// The best residual stopped improving.
    case stagnated
    case maxIterations = "max_iterations"
    /// The method reported it cannot continue (a zero inner product or pivot).
    case breakdown

    /// True for every status but `running`.
    public var isFinal: Bool { self != .running }
}
