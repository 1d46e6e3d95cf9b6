/// The Neumann series `x = Σ_k (I − D⁻¹A)^k D⁻¹ b`, one term per step. From a warm start `x₀` it sums the series
/// for the correction instead: `x = x₀ + Σ_k (I − D⁻¹A)^k D⁻¹ r₀`. Converges when the spectral radius of
/// `I − D⁻¹A` is below 1 (strictly diagonally dominant matrices, PageRank systems `I − αPᵀ`).
///
/// Each step is one SpMV on the current term `t` plus one fused pass (`x += t`, `r −= A t`, `t −= D⁻¹ A t`); the
/// residual is updated by recurrence, so it may drift by rounding from `b − A x`.
public final class NeumannSeries: IterativeMethod {
    private var inverseDiagonal: [Double] = []
    /// The next series term `(I − D⁻¹A)^k D⁻¹ r₀`.
    private var term: [Double] = []
    /// `A · term`.
    private var product: [Double] = []
    /// Terms summed since the last restart.
    public private(set) var termsSummed = 0

    public init() {}

    public var name: String { "neumann" }

    public func restart(_ system: LiveSystem) throws {
        let n = system.prepareForMethod()
        inverseDiagonal = try system.inverseDiagonal()
        term.resetToZeros(count: n)
        product.resetToZeros(count: n)
        RelaxationKernels.scale(system.r, by: inverseDiagonal, into: &term)
        termsSummed = 0
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(inverseDiagonal) + MemoryAccounting.bytes(term)
            + MemoryAccounting.bytes(product)
    }

    public func releaseWorkspace() { (inverseDiagonal, term, product) = ([], [], []) }

    public func step(_ system: LiveSystem) -> MethodStep {
        SparseKernels.multiply(system.matrix, term, into: &product, loop: system.loop)
        let normSquared = RelaxationKernels.neumannTerm(
            q: product, inverseDiagonal: inverseDiagonal, x: &system.x, r: &system.r, term: &term, loop: system.loop)
        system.residualChangedEverywhere(normSquared: normSquared)
        termsSummed += 1
        return MethodStep(flops: 2 * system.matrix.nnz + 6 * system.dimension)
    }
}
