/// (Preconditioned) conjugate gradients for symmetric positive definite `A`, optionally with an SPD preconditioner
/// (`JacobiPreconditioner`, `IncompleteCholesky0`).
///
/// One step is one SpMV fused with `p·Ap`, one fused pass `x += αp, r −= αq` (with `z = D⁻¹r` and both inner
/// products when the preconditioner is diagonal), and `p = z + βp`: three passes where the textbook form makes
/// about eight, because at large n the method is memory-bound. The residual follows the recurrence, so it may
/// drift by rounding from `b − A x`. On a matrix that is not SPD, `p·Ap ≤ 0` is reported as a breakdown.
public final class ConjugateGradient: IterativeMethod {
    public let preconditioner: (any Preconditioner)?
    /// Search direction.
    private var direction: [Double] = []
    /// `A · direction`.
    private var product: [Double] = []
    /// Preconditioned residual `M⁻¹ r` (unused without a preconditioner).
    private var preconditioned: [Double] = []
    /// `r · M⁻¹ r` for the current residual.
    private var rho = 0.0

    public init(preconditioner: (any Preconditioner)? = nil) {
        self.preconditioner = preconditioner
    }

    public var name: String { preconditioner.map { "cg+\($0.name)" } ?? "cg" }

    public func restart(_ system: LiveSystem) throws {
        let n = system.prepareForMethod()
        try preconditioner?.prepare(for: system)
        product.resetToZeros(count: n)
        if let preconditioner {
            preconditioned.resetToZeros(count: n)
            preconditioner.apply(system.r, into: &preconditioned)
            rho = VectorKernels.dot(system.r, preconditioned)
            direction.assign(preconditioned)
        } else {
            preconditioned = []
            rho = system.residualNormSquared
            direction.assign(system.r)
        }
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(direction) + MemoryAccounting.bytes(product)
            + MemoryAccounting.bytes(preconditioned)
        memory.preconditioner += preconditioner?.memoryBytes(besides: system) ?? 0
    }

    public func releaseWorkspace() {
        (direction, product, preconditioned) = ([], [], [])
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        guard rho != 0 else { return MethodStep(flops: 0) }  // r = 0: nothing left to do
        let n = system.dimension
        let (curvature, _) = KrylovKernels.multiply(system.matrix, direction, into: &product, dotWith: direction, loop: system.loop)
        var flops = 2 * system.matrix.nnz + 4 * n
        guard curvature > 0, curvature.isFinite else {
            return MethodStep(flops: flops, breakdown: "p·Ap = \(curvature): the matrix (or preconditioner) is not positive definite")
        }
        let alpha = rho / curvature
        let diagonal = preconditioner?.inverseDiagonal
        let (rr, fusedRZ) = KrylovKernels.conjugateGradientUpdate(
            alpha: alpha, p: direction, q: product, x: &system.x, r: &system.r,
            inverseDiagonal: diagonal, z: &preconditioned, loop: system.loop)
        flops += 6 * n
        system.residualChangedEverywhere(normSquared: rr)
        var rz = fusedRZ
        if let preconditioner, diagonal == nil {
            preconditioner.apply(system.r, into: &preconditioned)
            rz = VectorKernels.dot(system.r, preconditioned)
            flops += preconditioner.flopsPerApplication + 2 * n
        } else if diagonal != nil {
            flops += 3 * n
        }
        let beta = rz / rho
        rho = rz
        KrylovKernels.xpby(preconditioner == nil ? system.r : preconditioned, beta, &direction, loop: system.loop)
        return MethodStep(flops: flops + 2 * n)
    }
}
