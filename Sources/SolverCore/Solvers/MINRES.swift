/// MINRES (Paige–Saunders) for symmetric, possibly indefinite `A`, optionally with a symmetric positive definite
/// preconditioner `M`. A `JacobiPreconditioner` is replaced by `JacobiPreconditioner(absolute: true)` (`M = |diag(A)|`):
/// plain Jacobi is not positive definite when the diagonal has negative entries.
///
/// One step is one Lanczos step (one SpMV fused with `v·Av`, two fused subtractions, one preconditioner
/// application), one Givens rotation of the tridiagonal QR, and two passes: the direction `w`, then `x += φ w` fused
/// with the residual. The residual follows the MINRES recurrence `r_k = s_k² r_{k−1} − φ̄_k c_k u_{k+1}` (`u_{k+1}`
/// the new Lanczos vector before `M⁻¹`, normalised in the `M⁻¹` inner product): O(n), no SpMV, and it may drift
/// by rounding from `b − A x` (the driver checks and restarts; measured drift stays near 1e-15 ‖b‖). `‖r‖₂` is taken
/// from the updated vector, since `φ̄` measures `r` in the `M⁻¹` norm.
///
/// Breakdowns, reported before `x` moves: `r·M⁻¹r < 0` (the preconditioner is not positive definite); and, when
/// `A` is (numerically) singular on the Krylov space — `A = 0`, or `b` not in the range of a singular `A` — a zero
/// rotated pivot, `‖A r‖ / (‖A‖ ‖r‖) ≤ √ε` (Paige–Saunders' least-squares stop: `x` is then a least-squares
/// solution), or a condition estimate `≥ 0.1/ε`. Without these stops `x` would run off along near-null directions
/// while the recurrence residual still looked fine. When the Lanczos process ends exactly (`β = 0`) the next step
/// starts a fresh one from the current `r`.
public final class MINRES: IterativeMethod {
    public let preconditioner: (any Preconditioner)?
    /// The current Lanczos vector `v_k` (in the `M⁻¹` space).
    private var lanczos: [Double] = []
    /// `A v_k`, turned into the next unnormalised vector; afterwards scratch.
    private var product: [Double] = []
    /// The previous and current unnormalised Lanczos vectors `β_{k−1} u_{k−1}`, `β_k u_k` (SciPy's `r1`, `r2`).
    private var previous: [Double] = []
    private var current: [Double] = []
    /// `M⁻¹ current` (unused without a preconditioner).
    private var preconditioned: [Double] = []
    /// Search directions `w_k`, `w_{k−1}`, `w_{k−2}`: `x_k = x_{k−1} + φ_k w_k`.
    private var direction: [Double] = []
    private var direction1: [Double] = []
    private var direction2: [Double] = []
    private var beta = 0.0
    private var oldBeta = 0.0
    private var dbar = 0.0
    private var epsilon = 0.0
    private var phibar = 0.0
    private var cs = -1.0
    private var sn = 0.0
    private var iteration = 0
    /// Largest and smallest rotated pivot of this Lanczos process (SciPy's `gmax`, `gmin`); the largest estimates ‖A‖.
    private var largestPivot = 0.0
    private var smallestPivot = Double.greatestFiniteMagnitude
    /// Set once the method cannot continue; repeated by every step until `restart`.
    private var breakdown: String?

    public init(preconditioner: (any Preconditioner)? = nil) {
        self.preconditioner = preconditioner is JacobiPreconditioner ? JacobiPreconditioner(absolute: true) : preconditioner
    }

    public var name: String { preconditioner.map { "minres+\($0.name)" } ?? "minres" }

    public func restart(_ system: LiveSystem) throws {
        let n = system.prepareForMethod()
        try preconditioner?.prepare(for: system)
        lanczos.resetToZeros(count: n)
        product.resetToZeros(count: n)
        previous.resetToZeros(count: n)
        direction1.resetToZeros(count: n)
        if preconditioner != nil { preconditioned.resetToZeros(count: n) } else { preconditioned = [] }
        breakdown = nil
        beginLanczos(system)
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.workspace += MemoryAccounting.bytes(vectors: lanczos, product, previous, current, preconditioned,
                                                   direction, direction1, direction2)
        memory.preconditioner += preconditioner?.memoryBytes(besides: system) ?? 0
    }

    public func releaseWorkspace() {
        (lanczos, product, previous, current) = ([], [], [], [])
        (preconditioned, direction, direction1, direction2) = ([], [], [], [])
    }

    /// Starts a Lanczos process from the current residual: `β₁ = ‖r‖_{M⁻¹}`, `w = 0`. Returns the flops spent.
    @discardableResult
    private func beginLanczos(_ system: LiveSystem) -> Int {
        let n = system.dimension
        current.assign(system.r)
        direction.resetToZeros(count: n)
        direction2.resetToZeros(count: n)
        var rz: Double
        var flops = 2 * n
        if let preconditioner {
            preconditioner.apply(current, into: &preconditioned)
            rz = VectorKernels.dot(current, preconditioned)
            flops += preconditioner.flopsPerApplication + 2 * n
        } else {
            rz = VectorKernels.normSquared(current)
        }
        if !(rz >= 0) || !rz.isFinite {
            breakdown = "r·M⁻¹r = \(rz): the preconditioner is not positive definite, as MINRES needs"
        }
        beta = rz.isFinite ? max(rz, 0).squareRoot() : 0
        oldBeta = 0
        dbar = 0
        epsilon = 0
        phibar = beta
        cs = -1
        sn = 0
        iteration = 0
        largestPivot = 0
        smallestPivot = .greatestFiniteMagnitude
        return flops
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        if let breakdown { return MethodStep(flops: 0, breakdown: breakdown) }
        let n = system.dimension
        var flops = 0
        if beta == 0 {
            // Either r = 0, or the last step ended the Lanczos process exactly: start a new one from r.
            guard system.residualNormSquared != 0 else { return MethodStep(flops: 0) }
            flops += beginLanczos(system)
            if let breakdown { return MethodStep(flops: flops, breakdown: breakdown) }
            guard beta > 0 else {
                breakdown = "r·M⁻¹r = 0 with r ≠ 0: the preconditioner is singular"
                return MethodStep(flops: flops, breakdown: breakdown)
            }
        }
        // Lanczos: v = M⁻¹r2 / β, y = A v − (β/β_old) r1 − (α/β) r2.
        KrylovKernels.scale(1 / beta, preconditioner == nil ? current : preconditioned, into: &lanczos, loop: system.loop)
        var (alpha, _) = KrylovKernels.multiply(system.matrix, lanczos, into: &product, dotWith: lanczos, loop: system.loop)
        flops += n + 2 * system.matrix.nnz + 4 * n
        if iteration > 0 {
            (_, alpha) = KrylovKernels.axpy(-beta / oldBeta, previous, &product, dotWith: lanczos, loop: system.loop)
            flops += 6 * n
        }
        var (betaSquared, _) = KrylovKernels.axpy(-alpha / beta, current, &product, dotWith: lanczos, loop: system.loop)
        flops += 6 * n
        swap(&previous, &current)
        swap(&current, &product)
        if let preconditioner {
            preconditioner.apply(current, into: &preconditioned)
            betaSquared = VectorKernels.dot(current, preconditioned)
            flops += preconditioner.flopsPerApplication + 2 * n
        }
        guard betaSquared >= 0, betaSquared.isFinite, alpha.isFinite else {
            breakdown = betaSquared.isFinite && alpha.isFinite
                ? "r·M⁻¹r = \(betaSquared): the preconditioner is not positive definite, as MINRES needs"
                : "the Lanczos recurrence produced a non-finite value (α = \(alpha), β² = \(betaSquared))"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        oldBeta = beta
        beta = betaSquared.squareRoot()

        // Apply the previous rotation to the new column of T, then annihilate β with a new one.
        let oldEpsilon = epsilon
        let delta = cs * dbar + sn * alpha
        let gbar = sn * dbar - cs * alpha
        epsilon = sn * beta
        dbar = -cs * beta
        let gamma = (gbar * gbar + beta * beta).squareRoot()
        largestPivot = max(largestPivot, gamma)
        smallestPivot = min(smallestPivot, gamma)
        // A pivot at rounding level of the largest: A is (numerically) singular on the Krylov space.
        guard gamma > 0, gamma.isFinite, largestPivot < 0.1 / Double.ulpOfOne * smallestPivot else {
            breakdown = "MINRES: pivot \(gamma) after \(iteration + 1) Lanczos steps (largest \(largestPivot)); A is "
                + "singular on the Krylov space (b is not in its range, or A = 0)"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        // ‖A r‖ / (‖A‖ ‖r‖) (Paige–Saunders' test2, `‖A‖ ≈ largest pivot`) at √ε: r is orthogonal to the range of A,
        // so b is not in it and x is a least-squares solution. Further steps could only move x far along near-null
        // directions (it grows without bound while rounding ruins b − A x), so stop before this step moves it.
        let rangeComponent = (gbar * gbar + dbar * dbar).squareRoot() / largestPivot
        guard rangeComponent > Double.ulpOfOne.squareRoot() else {
            breakdown = "MINRES: ‖A r‖ / (‖A‖ ‖r‖) = \(rangeComponent): the residual is orthogonal to the range of A, "
                + "which is singular with b not in its range; x is a least-squares solution"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        cs = gbar / gamma
        sn = beta / gamma
        let phi = cs * phibar
        phibar = sn * phibar

        // w_k = (v − ε w_{k−2} − δ w_{k−1}) / γ, written over w_{k−2}'s storage. The A w_j are orthonormal, so
        // ‖w_k‖ · ‖A‖ bounds cond(A) from below: at 0.1/ε the step would move x along a null direction of A by an
        // amount rounding cannot resolve (b not in the range), so stop before x moves.
        swap(&direction1, &direction2)
        swap(&direction2, &direction)
        let directionNormSquared = KrylovKernels.minresDirection(
            v: lanczos, w1: direction1, w2: direction2, epsilon: oldEpsilon, delta: delta, inverseGamma: 1 / gamma,
            w: &direction, loop: system.loop)
        let conditionEstimate = largestPivot * directionNormSquared.squareRoot()
        guard conditionEstimate < 0.1 / Double.ulpOfOne else {
            breakdown = "MINRES: cond(A) ≥ \(conditionEstimate) on the Krylov space; A is numerically singular there "
                + "(b is not in its range)"
            return MethodStep(flops: flops + 8 * n, breakdown: breakdown)
        }
        // x += φ w; r_k = s² r_{k−1} − φ̄ c u_{k+1}, with u_{k+1} = current / β (absent when the process ended, β = 0).
        let rr = KrylovKernels.minresUpdate(
            phi: phi, w: direction, x: &system.x, residualScale: sn * sn, r: &system.r,
            coefficient: beta > 0 ? -phibar * cs / beta : 0, u: current, loop: system.loop)
        system.residualChangedEverywhere(normSquared: rr)
        iteration += 1
        return MethodStep(flops: flops + 8 * n + 7 * n + 30)
    }
}

/// MINRES passes, and `scale`, shared with GMRES (`KrylovKernels` conventions: lengths checked once, no pointer escapes).
extension KrylovKernels {
    /// `y = α x`.
    static func scale(_ alpha: Double, _ x: [Double], into y: inout [Double], loop: some ParallelLoop) {
        precondition(x.count == y.count, "scale: lengths differ")
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                let (xB, yB) = (xv.baseAddress!, yv.baseAddress!)
                _ = VectorChunking.sum(count: xv.count, loop: loop) { range in
                    for i in range { yB[i] = alpha * xB[i] }
                    return .zero
                }
            }
        }
    }

    /// MINRES direction `w = (v − ε w1 − δ w2) / γ`; returns `w·w`.
    static func minresDirection(
        v: [Double], w1: [Double], w2: [Double], epsilon: Double, delta: Double, inverseGamma: Double,
        w: inout [Double], loop: some ParallelLoop
    ) -> Double {
        let n = w.count
        precondition(v.count == n && w1.count == n && w2.count == n, "minresDirection: lengths differ")
        return v.withUnsafeBufferPointer { vv in
            w1.withUnsafeBufferPointer { w1v in
                w2.withUnsafeBufferPointer { w2v in
                    w.withUnsafeMutableBufferPointer { wv in
                        let (vB, w1B, w2B, wB) = (vv.baseAddress!, w1v.baseAddress!, w2v.baseAddress!, wv.baseAddress!)
                        return VectorChunking.sum(count: n, loop: loop) { range in
                            var ww = 0.0
                            for i in range {
                                let wi = (vB[i] - epsilon * w1B[i] - delta * w2B[i]) * inverseGamma
                                wB[i] = wi
                                ww += wi * wi
                            }
                            return SIMD2(ww, 0)
                        }.x
                    }
                }
            }
        }
    }

    /// MINRES closing update: `x += φ w`, `r = σ r + γ u`. Returns `r·r`.
    static func minresUpdate(
        phi: Double, w: [Double], x: inout [Double], residualScale: Double, r: inout [Double], coefficient: Double,
        u: [Double], loop: some ParallelLoop
    ) -> Double {
        let n = x.count
        precondition(w.count == n && r.count == n && u.count == n, "minresUpdate: lengths differ")
        return w.withUnsafeBufferPointer { wv in
            u.withUnsafeBufferPointer { uv in
                x.withUnsafeMutableBufferPointer { xv in
                    r.withUnsafeMutableBufferPointer { rv in
                        let (wB, uB, xB, rB) = (wv.baseAddress!, uv.baseAddress!, xv.baseAddress!, rv.baseAddress!)
                        return VectorChunking.sum(count: n, loop: loop) { range in
                            var rr = 0.0
                            for i in range {
                                xB[i] += phi * wB[i]
                                let ri = residualScale * rB[i] + coefficient * uB[i]
                                rB[i] = ri
                                rr += ri * ri
                            }
                            return SIMD2(rr, 0)
                        }.x
                    }
                }
            }
        }
    }
}
