/// Tuning knobs of the stationary methods; each method validates the one it uses when it is made.
public struct MethodOptions: Sendable, Equatable {
    /// Jacobi damping `ω ∈ (0, 2)` (wire: `options.weight`).
    public var jacobiWeight: Double
    /// Gauss–Seidel/SOR relaxation `ω ∈ (0, 2)` (wire: `options.omega`).
    public var relaxation: Double

    public init(jacobiWeight: Double = 1, relaxation: Double = 1) {
        self.jacobiWeight = jacobiWeight
        self.relaxation = relaxation
    }
}
