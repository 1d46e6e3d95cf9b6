/// (Weighted) Jacobi: `x += ω D⁻¹ r`, then the exact residual `r = b − A x`. Converges for strictly diagonally
/// dominant matrices (and for SPD ones with a small enough `ω`); each step is one parallel pass plus one SpMV, and
/// the residual is recomputed exactly, so it never drifts.
public final class Jacobi: IterativeMethod {
    /// The damping `ω`, in `(0, 2)`; 1 is plain Jacobi.
    public let weight: Double
    private var inverseDiagonal: [Double] = []

    public init(weight: Double = 1) throws {
        guard weight > 0, weight < 2 else {
            throw SolverError.invalidArgument("Jacobi weight must lie in (0, 2), got \(weight)", field: "options.weight")
        }
        self.weight = weight
    }

    public var name: String { weight == 1 ? "jacobi" : "jacobi(ω=\(weight))" }

    public func restart(_ system: LiveSystem) throws {
        system.prepareForMethod()
        inverseDiagonal = try system.inverseDiagonal()
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(inverseDiagonal)
    }

    public func releaseWorkspace() { inverseDiagonal = [] }

    public func step(_ system: LiveSystem) -> MethodStep {
        RelaxationKernels.scaledCorrection(weight: weight, inverseDiagonal: inverseDiagonal, r: system.r, x: &system.x, loop: system.loop)
        let normSquared = SparseKernels.residual(system.matrix, b: system.b, x: system.x, into: &system.r, loop: system.loop)
        system.residualChangedEverywhere(normSquared: normSquared)
        let n = system.dimension
        return MethodStep(flops: 2 * system.matrix.nnz + 6 * n)
    }
}
