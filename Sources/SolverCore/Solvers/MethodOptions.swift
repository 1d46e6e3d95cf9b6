/// Tuning knobs of the stationary methods; each method validates the one it uses when it is made.
public struct MethodOptions: Sendable, Equatable {
    /// Jacobi damping `ω ∈ (0, 2)` (wire: `options.weight`).
    public var jacobiWeight: Double
    /// Gauss–Seidel/SOR relaxation `ω ∈ (0, 2)` (wire: `options.omega`).
    public var relaxation: Double

    /// The largest factor a direct method may build, in predicted bytes (`factorization_too_large` above it).
    public var factorByteLimit: Int

    public init(jacobiWeight: Double = 1, relaxation: Double = 1,
                factorByteLimit: Int = SparseFactorizations.defaultByteLimit) {
        self.jacobiWeight = jacobiWeight
        self.relaxation = relaxation
        self.factorByteLimit = factorByteLimit
    }
}
