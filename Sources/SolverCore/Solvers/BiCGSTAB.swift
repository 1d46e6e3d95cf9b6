/// (Right-preconditioned) BiCGSTAB (van der Vorst) for general nonsymmetric `A`, with any `Preconditioner`
/// (`JacobiPreconditioner`, `IncompleteLU0`, or `IncompleteFactorization`).
///
/// One step is two SpMVs (each fused with the inner products it needs), two preconditioner applications and three
/// vector passes, the last fused to update `x`, `r` and the next `r̂·r`. The residual follows the recurrence.
/// Vanishing inner products (`r̂·r`, `r̂·v`) are reported as a breakdown; the caller may restart (a new shadow
/// residual) or switch methods.
public final class BiCGSTAB: IterativeMethod {
    public let preconditioner: (any Preconditioner)?
    /// The shadow residual `r̂`, fixed at restart.
    private var shadow: [Double] = []
    private var direction: [Double] = []
    /// `A p̂`.
    private var directionProduct: [Double] = []
    /// `A ŝ`.
    private var correctionProduct: [Double] = []
    /// `M⁻¹ p` and `M⁻¹ s` (unused without a preconditioner, where `p̂ = p` and `ŝ = s`).
    private var preconditionedDirection: [Double] = []
    private var preconditionedCorrection: [Double] = []
    private var rho = 1.0
    private var previousRho = 1.0
    private var alpha = 1.0
    private var omega = 1.0

    public init(preconditioner: (any Preconditioner)? = nil) {
        self.preconditioner = preconditioner
    }

    public var name: String { preconditioner.map { "bicgstab+\($0.name)" } ?? "bicgstab" }

    public func restart(_ system: LiveSystem) throws {
        let n = system.prepareForMethod()
        try preconditioner?.prepare(for: system)
        shadow.assign(system.r)
        direction.resetToZeros(count: n)
        directionProduct.resetToZeros(count: n)
        correctionProduct.resetToZeros(count: n)
        if preconditioner != nil {
            preconditionedDirection.resetToZeros(count: n)
            preconditionedCorrection.resetToZeros(count: n)
        }
        rho = system.residualNormSquared
        previousRho = 1
        alpha = 1
        omega = 1
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(vectors: shadow, direction, directionProduct, correctionProduct,
                                                   preconditionedDirection, preconditionedCorrection)
        memory.preconditioner += preconditioner?.memoryBytes(besides: system) ?? 0
    }

    public func releaseWorkspace() {
        (shadow, direction, directionProduct, correctionProduct) = ([], [], [], [])
        (preconditionedDirection, preconditionedCorrection) = ([], [])
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        guard system.residualNormSquared != 0 else { return MethodStep(flops: 0) }
        let n = system.dimension
        let nnz = system.matrix.nnz
        let applyFlops = preconditioner?.flopsPerApplication ?? 0
        guard rho != 0, rho.isFinite else {
            return MethodStep(flops: 0, breakdown: "r̂·r = \(rho): BiCGSTAB broke down; restart with a new shadow residual")
        }
        let beta = (rho / previousRho) * (alpha / omega)
        KrylovKernels.bicgstabDirection(r: system.r, v: directionProduct, beta: beta, omega: omega, p: &direction, loop: system.loop)
        if let preconditioner { preconditioner.apply(direction, into: &preconditionedDirection) }
        let pHat = preconditioner == nil ? direction : preconditionedDirection
        let (shadowV, _) = KrylovKernels.multiply(system.matrix, pHat, into: &directionProduct, dotWith: shadow, loop: system.loop)
        var flops = 4 * n + applyFlops + 2 * nnz + 4 * n
        guard shadowV != 0, shadowV.isFinite else {
            return MethodStep(flops: flops, breakdown: "r̂·v = \(shadowV): BiCGSTAB broke down; restart with a new shadow residual")
        }
        alpha = rho / shadowV
        // r becomes s = r − α v.
        let (sNormSquared, _) = KrylovKernels.axpy(-alpha, directionProduct, &system.r, dotWith: shadow, loop: system.loop)
        flops += 6 * n
        if let preconditioner { preconditioner.apply(system.r, into: &preconditionedCorrection) }
        let (ts, tt) = sNormSquared == 0 ? (0, 0) : KrylovKernels.multiply(
            system.matrix, preconditioner == nil ? system.r : preconditionedCorrection,
            into: &correctionProduct, dotWith: system.r, loop: system.loop)
        guard tt != 0, tt.isFinite else {
            // s (or A ŝ) vanished: the half step x += α p̂ already solves the system.
            VectorKernels.axpy(alpha, pHat, &system.x)
            system.residualChangedEverywhere(normSquared: sNormSquared)
            return MethodStep(flops: flops + 2 * n)
        }
        omega = ts / tt
        let (rr, shadowR) = KrylovKernels.bicgstabUpdate(
            alpha: alpha, pHat: pHat, omega: omega, sHat: preconditioner == nil ? nil : preconditionedCorrection,
            t: correctionProduct, shadow: shadow, x: &system.x, r: &system.r, loop: system.loop)
        system.residualChangedEverywhere(normSquared: rr)
        previousRho = rho
        rho = shadowR
        flops += applyFlops + 2 * nnz + 4 * n + 10 * n
        guard omega != 0 else {
            return MethodStep(flops: flops, breakdown: "ω = 0: BiCGSTAB stagnated; restart or switch methods")
        }
        return MethodStep(flops: flops)
    }
}
