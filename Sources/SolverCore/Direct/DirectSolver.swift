/// A sparse direct factorisation driven as a step-wise method, so sessions schedule it like any iterative one.
///
/// `restart` brings the operator in line with the system's current `A` (analysis when none is held, otherwise
/// nothing, a low-rank correction or a refactorisation, see `synchronize`). The first `step` after it factors if
/// needed, then every `step` is one solve with the factor applied to the residual — a re-solve from a warm start,
/// then iterative refinement: `x += A⁻¹ r`, and `r = b − A x` recomputed exactly. A step does nothing once `‖r‖` is at or
/// below `stopNorm`. Refinement that stops improving is reported as a breakdown (after one fresh factorisation).
public final class DirectSolver: IterativeMethod {
    /// How the operator followed the last change of `A`.
    public enum Path: String, Sendable {
        case unchanged
        case lowRankUpdate = "low_rank_update"
        case refactor
        case analysis
    }

    public let kind: FactorizationKind
    public let byteLimit: Int
    /// A step does no work while `‖r‖₂` is at or below this.
    public var stopNorm = 0.0
    /// Rows a low-rank correction may span before a refactorisation absorbs it.
    public var maxCorrectionRank = 48
    public private(set) var factorization: (any SparseFactorization)?
    /// The matrix the factor holds (values and pattern): what `A` is compared with to find its changes.
    private var factoredMatrix: CSRMatrix?
    private var factoredVersion = -1
    private var needsNumericFactor = true
    private var correction = LowRankCorrection()
    /// Rows whose values may differ from `factoredMatrix` (nil: unknown, compare every row).
    private var suspectRows: Set<Int>? = []
    private var previousNorm = Double.infinity
    private var stalledSteps = 0
    private var freshFactorTried = false
    /// What the last synchronisation did to follow `A` (`unchanged` when the factor already matched).
    public private(set) var lastPath = Path.unchanged
    /// The `matrixVersion` the operator matches.
    public var synchronizedVersion: Int { factoredVersion }

    /// Measured costs, for the choice between re-convergence paths (seconds; 0 until measured).
    public private(set) var factorSeconds = 0.0
    public private(set) var solveSeconds = 0.0
    /// Measured seconds of the last step that solved with the factor (a sparse right-hand side may make it cheaper
    /// than a full solve): what the next re-solve is predicted to cost.
    public private(set) var resolveSeconds = 0.0
    /// Solve time spent on corrections since the last factorisation: a refactorisation is due once it reaches
    /// `factorSeconds` (the corrections have then cost as much as starting afresh would have).
    private var correctionSeconds = 0.0

    public var name: String {
        guard kind == .lu else { return kind.rawValue }
        return estimate?.ordering == "umfpack" ? "lu(umfpack)" : "lu(klu)"
    }
    public var estimate: FactorizationEstimate? { factorization?.estimate }
    public var correctionRank: Int { correction.rank }
    public var isFactored: Bool { factorization?.isFactored == true && !needsNumericFactor }

    /// `analysis`: a symbolic analysis already made for the system's matrix (by the hybrid planner), reused.
    public init(kind: FactorizationKind, byteLimit: Int = SparseFactorizations.defaultByteLimit,
                analysis: (any SparseFactorization)? = nil) {
        self.kind = kind
        self.byteLimit = byteLimit
        self.factorization = analysis
    }

    /// The factor, its correction and the kept copy of the factored matrix (its arrays count once `A` no longer
    /// shares them, after a change).
    public func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem) {
        memory.factor += (factorization?.bytes ?? 0) + correction.memoryBytes
            + (factoredMatrix?.memoryBytes(unlessSharedWith: system.matrix) ?? 0)
    }

    /// Nothing to free: the factor is what makes the next re-solve cheap.
    public func releaseWorkspace() {}

    /// The analysis and the measured costs; nil before an analysis.
    public var summary: FactorizationSummary? {
        guard let factorization else { return nil }
        return FactorizationSummary(estimate: factorization.estimate, factorNonzeros: factorization.factorNonzeros,
                                    bytes: factorization.bytes, factorSeconds: factorSeconds, solveSeconds: solveSeconds)
    }

    /// Predicted seconds of one solve with the factor (measured once one ran; before, from the flop count).
    public var predictedSolveSeconds: Double {
        solveSeconds > 0 ? solveSeconds : (estimate?.solveFlops ?? 0) * 1e-9
    }

    /// Predicted seconds of the next re-solve step, as the last ones measured.
    public var predictedResolveSeconds: Double { resolveSeconds > 0 ? resolveSeconds : predictedSolveSeconds }

    public func restart(_ system: LiveSystem) throws {
        system.compact()
        try synchronize(system)
        previousNorm = .infinity
        stalledSteps = 0
        freshFactorTried = false
    }

    /// Rows whose residual the latest updates changed: the next solve may treat the residual as living there.
    private var freshRows: [Int] = []

    /// Rows whose residual (and maybe values) changed with the latest updates; nil means any.
    public func noteChangedRows(_ rows: [Int]?) {
        freshRows = rows.map { Array(Set($0)) } ?? []
        guard let rows, var known = suspectRows, known.count + rows.count <= maxCorrectionRank * 64 else {
            suspectRows = nil
            return
        }
        known.formUnion(rows)
        suspectRows = known
    }

    /// Makes the operator (factor plus correction) equal the system's `A`: nothing when it does; a low-rank
    /// correction for changed rows while its rank and cost stay in budget; else a numeric refactorisation on the
    /// kept analysis, or a new analysis when the pattern changed (new nonzeros).
    @discardableResult
    public func synchronize(_ system: LiveSystem) throws -> Path {
        system.compact()
        let a = system.matrix
        guard let factorization, let factored = factoredMatrix, !needsNumericFactor else {
            return try refactorOrAnalyse(system)
        }
        guard factoredVersion != system.matrixVersion else {
            suspectRows = []
            lastPath = .unchanged
            return .unchanged
        }
        let candidates = suspectRows.map { Array($0) } ?? Array(0..<a.rows)
        let changed = candidates.filter { !Self.rowsEqual(a, factored, $0) || correction.contains($0) }
        guard !changed.isEmpty else {
            suspectRows = []
            factoredVersion = system.matrixVersion
            lastPath = .unchanged
            return .unchanged
        }
        let newRows = changed.filter { !correction.contains($0) }.count
        let overBudget = correction.rank + newRows > maxCorrectionRank
            || correctionSeconds + Double(newRows) * predictedSolveSeconds > max(factorSeconds, predictedSolveSeconds)
        if !overBudget {
            do {
                let started = ContinuousClock.now
                try correction.include(changed, dimension: a.rows) { try factorization.solve(columns: &$0, count: $1) }
                for row in changed { correction.setDelta(row: row, current: a, factored: factored) }
                try correction.refreshCapacitance()
                correctionSeconds += (ContinuousClock.now - started).seconds
                suspectRows = []
                factoredVersion = system.matrixVersion
                lastPath = .lowRankUpdate
                return .lowRankUpdate
            } catch {
                // A singular capacitance: the correction cannot express this change; refactor instead.
            }
        }
        return try refactorOrAnalyse(system)
    }

    /// Schedules a numeric factorisation of the current `A`: on the kept analysis when the pattern is the analysed
    /// one, else after a new analysis. A symmetric kind refuses a matrix that is not symmetric (to 1e-10).
    private func refactorOrAnalyse(_ system: LiveSystem) throws -> Path {
        let a = system.matrix
        if kind != .lu, !MatrixProperties.isSymmetric(a, transpose: system.columns, tolerance: 1e-10) {
            throw SolverError(.factorizationFailed,
                              "the matrix is not symmetric: \(kind.rawValue) factors symmetric matrices; use lu",
                              field: factorization == nil ? "method" : "matrix_updates")
        }
        if factorization != nil, factoredMatrix.map({ a.hasSamePattern(as: $0) }) ?? true {
            return mark(factoredMatrix == nil ? .analysis : .refactor, version: system.matrixVersion, matrix: a)
        }
        factorization = try SparseFactorizations.analyze(a, kind: kind, byteLimit: byteLimit)
        return mark(.analysis, version: system.matrixVersion, matrix: a)
    }

    /// Records that the next step factors `matrix` afresh.
    private func mark(_ path: Path, version: Int, matrix: CSRMatrix) -> Path {
        factoredMatrix = matrix
        factoredVersion = version
        needsNumericFactor = true
        correction = LowRankCorrection()
        correctionSeconds = 0
        suspectRows = []
        lastPath = path
        return path
    }

    public func step(_ system: LiveSystem) -> MethodStep {
        guard system.residualNorm > stopNorm else { return MethodStep(flops: 0) }
        do {
            var flops = 0
            if needsNumericFactor { flops += try factorNow(reuse: !freshFactorTried) }
            let stepStarted = ContinuousClock.now
            defer { resolveSeconds = (ContinuousClock.now - stepStarted).seconds }
            let delta: [Double]
            defer { freshRows = [] }
            if !correction.isEmpty, let rho = residual(confinedTo: correction.rows, system) {
                delta = correction.solveOnRows(rho)
                flops += 2 * correction.rank * system.dimension
            } else if let values = residual(confinedTo: freshRows, system),
                      var solved = try factorization!.solveSparse(rows: freshRows, values: values) {
                correction.apply(&solved)
                flops += Int(estimate!.solveFlops / 2) + 4 * correction.rank * system.dimension
                delta = solved
            } else {
                var solved = system.r
                let started = ContinuousClock.now
                try factorization!.solve(&solved)
                correction.apply(&solved)
                solveSeconds = (ContinuousClock.now - started).seconds
                flops += Int(estimate!.solveFlops) + 4 * correction.rank * system.dimension
                delta = solved
            }
            system.x.withUnsafeMutableBufferPointer { x in
                for i in 0..<x.count { x[i] += delta[i] }
            }
            system.noteSolutionChangedEverywhere()
            let norm = system.recomputeResidual()
            flops += 2 * system.matrix.nnz + 2 * system.dimension
            if norm > stopNorm, norm > 0.5 * previousNorm {
                stalledSteps += 1
                if stalledSteps >= 2 {
                    return refinementStalled(system, flops: flops)
                }
            } else {
                stalledSteps = 0
            }
            previousNorm = norm
            return MethodStep(flops: flops)
        } catch let error as SolverError {
            return MethodStep(flops: 0, breakdown: error.message)
        } catch {
            return MethodStep(flops: 0, breakdown: "\(error)")
        }
    }

    /// The residual on `rows` when what lies elsewhere is below half the stopping norm — after a change of `b` at a
    /// few rows, or of `A` on the corrected rows, the residual lives there — so a solve with that sparse
    /// right-hand side is exact enough; nil otherwise.
    private func residual(confinedTo rows: [Int], _ system: LiveSystem) -> [Double]? {
        guard !rows.isEmpty, rows.count <= 256, stopNorm > 0 else { return nil }
        let values = rows.map { system.r[$0] }
        let onRows = values.reduce(0) { $0 + $1 * $1 }
        return max(0, system.residualNormSquared - onRows) <= 0.25 * stopNorm * stopNorm ? values : nil
    }

    /// Refinement stopped improving: the factor (with its correction, or KLU's reused pivots) is not accurate
    /// enough. Factor afresh once; after that, report.
    private func refinementStalled(_ system: LiveSystem, flops: Int) -> MethodStep {
        guard !freshFactorTried else {
            let relative = system.rightHandSideNorm > 0 ? system.residualNorm / system.rightHandSideNorm : 0
            return MethodStep(flops: flops, breakdown:
                "\(name): iterative refinement stalls at relative residual \(relative): the matrix is too ill-conditioned for this factorisation")
        }
        freshFactorTried = true
        stalledSteps = 0
        previousNorm = .infinity
        do {
            _ = try refactorOrAnalyse(system)
        } catch {
            return MethodStep(flops: flops, breakdown: "\(error)")
        }
        return MethodStep(flops: flops)
    }

    private func factorNow(reuse: Bool) throws -> Int {
        guard let factorization, let matrix = factoredMatrix else { return 0 }
        let started = ContinuousClock.now
        try factorization.factor(matrix, reuse: reuse && lastPath == .refactor)
        factorSeconds = (ContinuousClock.now - started).seconds
        needsNumericFactor = false
        return Int(factorization.estimate.factorFlops)
    }

    private static func rowsEqual(_ a: CSRMatrix, _ b: CSRMatrix, _ row: Int) -> Bool {
        let (p, q) = (a.rowPointers[row], b.rowPointers[row])
        let length = a.rowPointers[row + 1] - p
        guard length == b.rowPointers[row + 1] - q else { return false }
        for k in 0..<length where a.colIndices[p + k] != b.colIndices[q + k] || a.values[p + k] != b.values[q + k] {
            return false
        }
        return true
    }
}
