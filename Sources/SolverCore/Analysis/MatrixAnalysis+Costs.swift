/// The costs of `MatrixAnalysis`: one symbolic analysis per applicable factorisation (reused by both hybrid plans
/// and by the Cholesky attempt), the iterative methods' convergence guarantees, and the plans themselves.
extension MatrixAnalysis {
    /// What a Cholesky attempt may cost before it is skipped.
    public struct Budget: Sendable {
        public var choleskyFlops: Double = 2e10
        public var choleskyBytes: Int = 1 << 29
        public var factorBytes: Int = SparseFactorizations.defaultByteLimit
        public var attemptCholesky = true
        public init() {}
    }

    /// Analyses `system`'s matrix; `tolerance` is the relative residual the iterative predictions aim for.
    public static func analyze(_ system: LiveSystem, tolerance: Double = 1e-8, budget: Budget = Budget()) -> MatrixAnalysis {
        let properties = MatrixProperties(system: system)
        let facts = EntryFacts(system.matrix, diagonalPositions: system.diagonalPositions, properties: properties)
        let kinds: [FactorizationKind] = properties.isSymmetric ? [.cholesky, .ldlt, .lu] : [.lu]
        var analyses: [FactorizationKind: any SparseFactorization] = [:]
        var direct: [DirectPrediction] = []
        for kind in kinds {
            do {
                let analysis = try SparseFactorizations.analyze(system.matrix, kind: kind, byteLimit: budget.factorBytes)
                analyses[kind] = analysis
                direct.append(DirectPrediction(kind: kind, estimate: analysis.estimate))
            } catch {
                direct.append(DirectPrediction(kind: kind, error: (error as? SolverError)?.message ?? "\(error)"))
            }
        }
        let cholesky = attemptCholesky(system.matrix, properties, analyses[.cholesky], budget: budget)
        let plans = [(MethodPlanner.Purpose.oneShot, "one_shot"), (.live, "live")].map { purpose, name in
            let plan = MethodPlanner.plan(for: system, purpose: purpose, tolerance: tolerance, properties: properties) { kind in
                guard let analysis = analyses[kind] else {
                    throw SolverError(.factorizationTooLarge,
                                      direct.first { $0.kind == kind }?.error ?? "no \(kind.rawValue) analysis", field: "method")
                }
                return analysis
            }
            return Plan(purpose: name, method: plan.first.kind, preconditioner: plan.first.preconditioner,
                        reason: plan.first.reason,
                        chain: plan.choices.map { $0.preconditioner == .none ? $0.kind.rawValue : "\($0.kind.rawValue)+\($0.preconditioner.rawValue)" })
        }
        return MatrixAnalysis(
            properties: properties, maxRowNonzeros: facts.maxRowNonzeros, diagonal: facts.diagonal, rows: facts.rows,
            columns: facts.columns, gershgorin: facts.gershgorin,
            definiteness: definiteness(properties, facts, cholesky: cholesky), cholesky: cholesky, direct: direct,
            iterative: iterativePredictions(properties, tolerance: tolerance), plans: plans, tolerance: tolerance)
    }

    /// Factors numerically with the Cholesky analysis when it fits the budget: success proves positive definiteness,
    /// a stop at a non-positive pivot disproves it.
    static func attemptCholesky(_ a: CSRMatrix, _ p: MatrixProperties, _ analysis: (any SparseFactorization)?,
                                budget: Budget) -> CholeskyAttempt {
        func skipped(_ why: String) -> CholeskyAttempt { CholeskyAttempt(attempted: false, message: why, seconds: 0) }
        guard budget.attemptCholesky else { return skipped("not asked for") }
        guard p.isSymmetric, p.hasPositiveDiagonal else { return skipped("only a symmetric matrix with a positive diagonal can be SPD") }
        guard let analysis else { return skipped("no Cholesky analysis within the factor limit") }
        let e = analysis.estimate
        guard e.factorFlops <= budget.choleskyFlops, e.bytes <= budget.choleskyBytes else {
            return skipped("predicted \(MethodPlanner.format(e.factorFlops)) flops and \(e.bytes) bytes exceed the attempt's budget")
        }
        let start = ContinuousClock.now
        do {
            try analysis.factor(a, reuse: false)
            return CholeskyAttempt(attempted: true, succeeded: true, message: "factored: nnz(L) \(analysis.factorNonzeros)",
                                   seconds: (ContinuousClock.now - start).seconds)
        } catch {
            return CholeskyAttempt(attempted: true, succeeded: false, message: (error as? SolverError)?.message ?? "\(error)",
                                   seconds: (ContinuousClock.now - start).seconds)
        }
    }

    /// Each iterative method: a convergence guarantee from dominance or symmetry where one holds, and the iteration
    /// bound it implies. Jacobi-like methods contract by ρ = 1 / (smallest dominance ratio) per sweep.
    static func iterativePredictions(_ p: MatrixProperties, tolerance: Double) -> [IterativePrediction] {
        let spdLikely = p.isSymmetric && p.hasPositiveDiagonal
        let rowStrict = p.rowDominance == .strict, columnStrict = p.columnDominance == .strict
        let ratio = max(rowStrict ? p.minimumRowDominanceRatio : 0, columnStrict ? p.minimumColumnDominanceRatio : 0)
        let rho = ratio > 1 ? 1 / ratio : nil
        let sweepFlops = 2 * Double(p.nnz) + 3 * Double(p.n)
        let sweeps = rho.map { $0 > 0 ? ReconvergenceCosts.naturalLog(1 / tolerance) / ReconvergenceCosts.naturalLog(1 / $0) : 1 }
        let by = rowStrict ? "rows" : "columns"
        func sweep(_ method: String, _ bound: String) -> IterativePrediction {
            guard let rho, let sweeps else {
                return IterativePrediction(method: method, converges: nil, reason: "not strictly diagonally dominant")
            }
            return IterativePrediction(method: method, converges: true,
                                       reason: "strictly diagonally dominant by \(by): contraction ρ ≤ \(rounded(rho))\(bound)",
                                       iterations: sweeps.rounded(.up), flops: sweeps.rounded(.up) * sweepFlops)
        }
        var cg = IterativePrediction(method: "cg+ic0", converges: nil, reason: "needs a symmetric positive definite matrix")
        if spdLikely {
            let cost = MethodPlanner.conjugateGradientCost(p, tolerance: tolerance)
            cg = IterativePrediction(method: "cg+ic0", converges: rowStrict ? true : nil,
                                     reason: rowStrict ? "SPD by dominance; κ ≤ \(rounded(cost.conditionBound))"
                                         : "symmetric, positive diagonal; κ ~ n assumed",
                                     iterations: cost.iterations.rounded(.up), flops: cost.flops)
        }
        var push = sweep("push", "; work about Jacobi's")
        if rho == nil, spdLikely {
            push = IterativePrediction(method: "push", converges: nil, reason: "coordinate descent: converges if A is SPD")
        }
        let walk = rowStrict && rho != nil
            ? IterativePrediction(method: "random_walk", converges: true,
                                  reason: "mean walk length ≤ \(rounded(1 / (1 - rho!))) steps, independent of n")
            : IterativePrediction(method: "random_walk", converges: false, reason: "needs strict row dominance")
        let krylov = IterativePrediction(method: p.isSymmetric ? "minres" : "gmres", converges: nil,
                                         reason: "no a-priori bound: convergence follows the spectrum")
        return [cg, sweep("jacobi", ""), sweep("gauss_seidel", "; at most Jacobi's sweeps"),
                sweep("neumann", ""), push, walk,
                IterativePrediction(method: "bicgstab", converges: nil, reason: "no a-priori bound"), krylov]
    }

    /// Four significant digits, for numbers in reasons.
    static func rounded(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        let scale = pow10(3 - Int(ReconvergenceCosts.naturalLog(abs(x)) / ReconvergenceCosts.naturalLog(10)))
        return (x * scale).rounded() / scale
    }

    private static func pow10(_ k: Int) -> Double {
        (0..<abs(k)).reduce(1.0) { value, _ in k >= 0 ? value * 10 : value / 10 }
    }
}
