/// Forward Gauss–Seidel, or SOR with relaxation `ω ∈ (0, 2)`: each row in order takes
/// `x_i += ω (b_i − Σ_j a_ij x_j) / a_ii` using the rows already updated. Converges for strictly diagonally dominant
/// and for SPD matrices; usually about twice as fast as Jacobi per sweep, but sequential. The residual is then
/// recomputed exactly (row-parallel).
public final class GaussSeidel: IterativeMethod {
    /// The relaxation `ω`; 1 is plain Gauss–Seidel.
    public let relaxation: Double
    private var inverseDiagonal: [Double] = []

    public init(relaxation: Double = 1) throws {
        guard relaxation > 0, relaxation < 2 else {
            throw SolverError.invalidArgument("SOR relaxation ω must lie in (0, 2), got \(relaxation)", field: "options.omega")
        }
        self.relaxation = relaxation
    }

    public var name: String { relaxation == 1 ? "gauss_seidel" : "sor(ω=\(relaxation))" }

    public func restart(_ system: LiveSystem) throws {
        system.prepareForMethod()
        inverseDiagonal = try system.inverseDiagonal()
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(inverseDiagonal)
    }

    public func releaseWorkspace() { inverseDiagonal = [] }

    public func step(_ system: LiveSystem) -> MethodStep {
        RelaxationKernels.forwardSweep(system.matrix, b: system.b, inverseDiagonal: inverseDiagonal, relaxation: relaxation, x: &system.x)
        let normSquared = SparseKernels.residual(system.matrix, b: system.b, x: system.x, into: &system.r, loop: system.loop)
        system.residualChangedEverywhere(normSquared: normSquared)
        return MethodStep(flops: 4 * system.matrix.nnz + 5 * system.dimension)
    }
}
