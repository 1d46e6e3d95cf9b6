/// A Monte Carlo estimate of one coordinate `x_i` of `A x = b`.
public struct RandomWalkEstimate: Sendable, Equatable {
    public var index: Int
    public var value: Double
    /// The sample standard deviation over `√walks`: the true value lies within ±2 of these about 95% of the time
    /// (plus the truncation bias, below `ρ^maxWalkLength`).
    public var standardError: Double
    public var walks: Int
    /// States visited over all walks (the cost is about this times the mean row length).
    public var totalSteps: Int
    /// Walks cut off at the length cap rather than absorbed.
    public var truncatedWalks: Int
}
