/// Restarted GMRES(m) for general nonsymmetric `A`, right-preconditioned (`A M⁻¹ u = r₀`, `x = x₀ + M⁻¹ V y`) so the
/// residual it minimises is the true residual `b − A x`. Any `Preconditioner` works (`JacobiPreconditioner`,
/// `IncompleteLU0`, `IncompleteFactorization`).
///
/// One step is one Arnoldi step: `z = M⁻¹ v_k`, one SpMV, modified Gram–Schmidt with each projection fused with the
/// next inner product (and a second pass when the norm drops below `1/√2` of its value, i.e. cancellation), one
/// Givens rotation of the Hessenberg column. Because the caller reads `x` after every step, each step then forms
/// `x = x₀ + Z y` from the small triangular solve (O(k n)), and updates `r` by the recurrence
/// `r_k = s_k² r_{k−1} + g_{k+1} c_k v_{k+1}` (O(n), no SpMV; it is `V_{k+1}(β e₁ − H̄ y)` rewritten with the
/// rotations). At the end of a cycle (m steps, or an invariant subspace) `r = b − A x` is recomputed exactly (one
/// SpMV per cycle), so recurrence drift never outlives a cycle, and the next cycle starts from it.
///
/// Memory: up to `m + 1` basis vectors, plus `m` preconditioned ones when preconditioned, allocated as the first
/// cycle grows. When `A` is (numerically) singular on the Krylov space — `A = 0`, or `b` not in the range of a
/// singular `A` — a rotated pivot that is zero or below `10 ε` times the cycle's largest, or a condition estimate
/// `≥ 0.1/ε`, is reported as a breakdown before `x` moves (else `x` would run off along near-null directions).
public final class GMRES: IterativeMethod {
    /// Arnoldi steps per cycle (`m`).
    public let restartLength: Int
    public let preconditioner: (any Preconditioner)?
    /// Orthonormal Arnoldi vectors `v_0 … v_k`.
    private var basis: [[Double]] = []
    /// `z_j = M⁻¹ v_j` (unused without a preconditioner, where `z_j = v_j`).
    private var preconditionedBasis: [[Double]] = []
    /// `A z_k` while it is orthogonalised against the basis.
    private var work: [Double] = []
    /// `x` at the start of the cycle.
    private var cycleStart: [Double] = []
    /// Column `j` of the rotated Hessenberg matrix: `R[0…j][j]`, fixed once rotated.
    private var columns: [[Double]] = []
    private var cosines: [Double] = []
    private var sines: [Double] = []
    /// The rotated `β e₁`; `|g[k]|` is the residual norm GMRES minimised after `k` steps.
    private var rotatedNorms: [Double] = []
    private var coefficients: [Double] = []
    /// Arnoldi steps done in the current cycle.
    private var inner = 0
    /// Largest rotated pivot `|R_jj|` of the cycle, to recognise a numerically singular one.
    private var largestPivot = 0.0
    /// `‖r‖` at the start of the cycle; 0 when there is nothing left to do.
    private var cycleNorm = 0.0
    /// Set once the method cannot continue; repeated by every step until `restart`.
    private var breakdown: String?

    /// `restart` is `m`, the Krylov dimension per cycle (values below 1 are treated as 1).
    public init(restart: Int = 30, preconditioner: (any Preconditioner)? = nil) {
        self.restartLength = max(1, restart)
        self.preconditioner = preconditioner
    }

    public var name: String { "gmres(\(restartLength))" + (preconditioner.map { "+\($0.name)" } ?? "") }

    public func restart(_ system: LiveSystem) throws {
        let n = system.prepareForMethod()
        try preconditioner?.prepare(for: system)
        if basis.first?.count != n {
            basis = []
            preconditionedBasis = []
        }
        work.resetToZeros(count: n)
        breakdown = nil
        beginCycle(system)
    }

    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        typealias M = MemoryAccounting
        memory.workspace += M.bytes(nested: basis) + M.bytes(nested: preconditionedBasis) + M.bytes(nested: columns)
            + M.bytes(work) + M.bytes(cycleStart) + M.bytes(cosines) + M.bytes(sines) + M.bytes(rotatedNorms)
            + M.bytes(coefficients)
        memory.preconditioner += preconditioner?.memoryBytes(besides: system) ?? 0
    }

    public func releaseWorkspace() {
        (basis, preconditionedBasis, columns) = ([], [], [])
        (work, cycleStart, cosines, sines, rotatedNorms, coefficients) = ([], [], [], [], [], [])
    }

    /// Starts a cycle from the current `x` and `r`: `v_0 = r / ‖r‖`, `g = ‖r‖ e₁`. Returns the flops spent.
    @discardableResult
    private func beginCycle(_ system: LiveSystem) -> Int {
        let n = system.dimension
        inner = 0
        largestPivot = 0
        cycleNorm = VectorKernels.norm(system.r)
        rotatedNorms = [cycleNorm]
        guard cycleNorm > 0, cycleNorm.isFinite else {
            if !cycleNorm.isFinite { breakdown = "GMRES: the residual is not finite" }
            return 2 * n
        }
        ensureBasis(count: 1, preconditioned: 0, n: n)
        KrylovKernels.scale(1 / cycleNorm, system.r, into: &basis[0], loop: system.loop)
        cycleStart.assign(system.x)
        return 3 * n
    }

    /// Grows the stored basis to at least `count` vectors, and `preconditioned` preconditioned ones when needed.
    private func ensureBasis(count: Int, preconditioned: Int, n: Int) {
        while basis.count < count { basis.append([Double](repeating: 0, count: n)) }
        while preconditioner != nil, preconditionedBasis.count < preconditioned {
            preconditionedBasis.append([Double](repeating: 0, count: n))
        }
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        if let breakdown { return MethodStep(flops: 0, breakdown: breakdown) }
        guard cycleNorm > 0 else { return MethodStep(flops: 0) }  // r = 0: nothing left to do
        let n = system.dimension
        let k = inner
        ensureBasis(count: k + 2, preconditioned: k + 1, n: n)
        var flops = 0
        if let preconditioner {
            preconditioner.apply(basis[k], into: &preconditionedBasis[k])
            flops += preconditioner.flopsPerApplication
        }
        let (firstDot, normSquaredBefore) = KrylovKernels.multiply(
            system.matrix, preconditioner == nil ? basis[k] : preconditionedBasis[k], into: &work,
            dotWith: basis[0], loop: system.loop)
        flops += 2 * system.matrix.nnz + 4 * n

        // Modified Gram–Schmidt, repeated once when cancellation left less than 1/√2 of ‖A z‖ (the DGKS criterion).
        var column = [Double](repeating: 0, count: k + 2)
        var normSquared = orthogonalise(firstDot: firstDot, through: k, into: &column, loop: system.loop)
        flops += 6 * n * (k + 1)
        if normSquared < 0.5 * normSquaredBefore {
            let again = VectorKernels.dot(work, basis[0])
            normSquared = orthogonalise(firstDot: again, through: k, into: &column, loop: system.loop)
            flops += 6 * n * (k + 1) + 2 * n
        }
        let next = normSquared.squareRoot()
        guard next.isFinite, normSquaredBefore.isFinite else {
            breakdown = "GMRES: the Arnoldi process produced a non-finite value"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        // What is left after two passes at rounding level: A z lies in the span, the Krylov space is invariant.
        let invariant = next <= 16 * Double.ulpOfOne * normSquaredBefore.squareRoot()

        // Apply the earlier rotations to the new column, then one that annihilates its subdiagonal entry.
        for j in 0..<k {
            let (a, b) = (column[j], column[j + 1])
            column[j] = cosines[j] * a + sines[j] * b
            column[j + 1] = -sines[j] * a + cosines[j] * b
        }
        let subdiagonal = invariant ? 0 : next
        let pivot = (column[k] * column[k] + subdiagonal * subdiagonal).squareRoot()
        largestPivot = max(largestPivot, pivot)
        // A pivot at rounding level of the largest: R is singular, y (and x) would be garbage.
        guard pivot > 0, pivot.isFinite, largestPivot < 0.1 / Double.ulpOfOne * pivot else {
            breakdown = "GMRES: pivot \(pivot) after \(k + 1) Arnoldi steps of this cycle (largest \(largestPivot)); "
                + "A is singular on the Krylov space (b is not in its range, or A = 0)"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        let (c, s) = (column[k] / pivot, subdiagonal / pivot)
        column[k] = pivot
        column.removeLast()
        if columns.count > k { columns[k] = column } else { columns.append(column) }
        if cosines.count > k { cosines[k] = c; sines[k] = s } else { cosines.append(c); sines.append(s) }
        let g = rotatedNorms[k]
        rotatedNorms[k] = c * g
        rotatedNorms.append(-s * g)
        if !invariant { KrylovKernels.scale(1 / next, work, into: &basis[k + 1], loop: system.loop) }
        inner = k + 1

        // y = R⁻¹ g (back substitution), x = x₀ + Z y.
        coefficients = [Double](repeating: 0, count: k + 1)
        for i in stride(from: k, through: 0, by: -1) {
            var sum = rotatedNorms[i]
            for j in (i + 1)..<(k + 1) { sum -= columns[j][i] * coefficients[j] }
            coefficients[i] = sum / columns[i][i]
        }
        // ‖R⁻¹‖ ≥ ‖y‖ / ‖g‖, so largest pivot · ‖y‖ / ‖g‖ bounds cond(A M⁻¹) from below: at 0.1/ε, x would move along
        // a null direction by an amount rounding cannot resolve (b not in the range), so stop before x moves.
        let coefficientNorm = VectorKernels.norm(coefficients)
        let conditionEstimate = coefficientNorm == 0 ? 0  // y = 0 (g[0…k] = 0): no information, no move
            : largestPivot * coefficientNorm / VectorKernels.norm(Array(rotatedNorms[0...k]))
        guard conditionEstimate < 0.1 / Double.ulpOfOne else {
            breakdown = "GMRES: cond(A M⁻¹) ≥ \(conditionEstimate) on the Krylov space; A is numerically singular there "
                + "(b is not in its range)"
            return MethodStep(flops: flops, breakdown: breakdown)
        }
        KrylovKernels.combine(cycleStart, preconditioner == nil ? basis : preconditionedBasis, coefficients,
                              into: &system.x, loop: system.loop)
        flops += n + (k + 1) * (k + 1) + 2 * n * (k + 1) + 20

        if invariant || inner == restartLength {
            // End of the cycle: the exact residual replaces the recurrence, and the next cycle starts from it.
            let rr = SparseKernels.residual(system.matrix, b: system.b, x: system.x, into: &system.r, loop: system.loop)
            system.residualChangedEverywhere(normSquared: rr)
            flops += 2 * system.matrix.nnz + 3 * n + beginCycle(system)
        } else {
            let rr = KrylovKernels.scaleAndAdd(s * s, &system.r, rotatedNorms[k + 1] * c, basis[k + 1], loop: system.loop)
            system.residualChangedEverywhere(normSquared: rr)
            flops += 5 * n
        }
        return MethodStep(flops: flops)
    }

    /// One modified Gram–Schmidt pass of `work` against `v_0 … v_k`, adding the projections to `column`. `firstDot`
    /// is `work·v_0`; each later inner product comes out of the previous projection's pass. Returns `‖work‖²`.
    private func orthogonalise(firstDot: Double, through k: Int, into column: inout [Double], loop: some ParallelLoop) -> Double {
        var dot = firstDot
        var normSquared = 0.0
        for j in 0...k {
            column[j] += dot
            (normSquared, dot) = KrylovKernels.axpy(-dot, basis[j], &work, dotWith: basis[j < k ? j + 1 : j], loop: loop)
        }
        return normSquared
    }
}

extension KrylovKernels {
    /// `y = α y + β x`; returns `y·y` after the update.
    static func scaleAndAdd(_ alpha: Double, _ y: inout [Double], _ beta: Double, _ x: [Double], loop: some ParallelLoop) -> Double {
        precondition(x.count == y.count, "scaleAndAdd: lengths differ")
        return x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                let (xB, yB) = (xv.baseAddress!, yv.baseAddress!)
                return VectorChunking.sum(count: xv.count, loop: loop) { range in
                    var yy = 0.0
                    for i in range {
                        let yi = alpha * yB[i] + beta * xB[i]
                        yB[i] = yi
                        yy += yi * yi
                    }
                    return SIMD2(yy, 0)
                }.x
            }
        }
    }

    /// `x = base + Σ_j c_j vectors[j]` over the coefficients given, chunk by chunk so `x` stays in cache.
    static func combine(_ base: [Double], _ vectors: [[Double]], _ coefficients: [Double], into x: inout [Double],
                        loop: some ParallelLoop) {
        let n = x.count
        precondition(base.count == n && vectors.count >= coefficients.count, "combine: lengths differ")
        precondition(vectors.prefix(coefficients.count).allSatisfy { $0.count == n }, "combine: lengths differ")
        base.withUnsafeBufferPointer { bv in
            x.withUnsafeMutableBufferPointer { xv in
                let (bB, xB) = (bv.baseAddress!, xv.baseAddress!)
                _ = VectorChunking.sum(count: n, loop: loop) { range in
                    for i in range { xB[i] = bB[i] }
                    for (j, c) in coefficients.enumerated() {
                        vectors[j].withUnsafeBufferPointer { vv in
                            let vB = vv.baseAddress!
                            for i in range { xB[i] += c * vB[i] }
                        }
                    }
                    return .zero
                }
            }
        }
    }
}
