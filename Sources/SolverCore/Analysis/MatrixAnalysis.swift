/// What `solverd analyze` and the `analyze_matrix` tool report about a matrix: the structural facts the planner
/// decides from, evidence about definiteness, the predicted cost of each method and what `hybrid` would pick.
/// Everything is O(nnz) except the symbolic analyses (and the Cholesky attempt, made only within a budget).
public struct MatrixAnalysis: Sendable {
    /// Diagonal signs: `zero` counts stored zeros and missing entries.
    public struct Diagonal: Sendable, Equatable {
        public var positive = 0
        public var negative = 0
        public var zero = 0
        public var minimum = Double.infinity
        public var maximum = -Double.infinity
    }

    /// Rows (or columns) with `|a_ii| > Σ_{j≠i} |a_ij|` (strict) and `≥` (weak), and the smallest ratio.
    public struct Dominance: Sendable, Equatable {
        public var kind: MatrixProperties.Dominance
        public var strictCount: Int
        public var weakCount: Int
        public var minimumRatio: Double
    }

    /// Every eigenvalue's real part lies in `[lower, upper]` (row and column Gershgorin discs intersected).
    public struct Gershgorin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
    }

    public enum Verdict: String, Sendable {
        case positiveDefinite = "positive_definite"
        case positiveSemidefinite = "positive_semidefinite"
        case notPositiveDefinite = "not_positive_definite"
        case indefinite
        case unknown
        case notSymmetric = "not_symmetric"
    }

    public struct Definiteness: Sendable {
        public var verdict: Verdict
        /// Each fact the verdict rests on, in words.
        public var evidence: [String]
    }

    /// A numeric Cholesky factorisation tried as a definiteness test.
    public struct CholeskyAttempt: Sendable {
        public var attempted: Bool
        public var succeeded: Bool?
        /// Why it was skipped, or what CHOLMOD said.
        public var message: String
        public var seconds: Double
    }

    /// One factorisation's symbolic analysis (nil estimate: refused, `error` says why).
    public struct DirectPrediction: Sendable {
        public var kind: FactorizationKind
        public var estimate: FactorizationEstimate?
        public var error: String?
    }

    /// One iterative method: whether it is known to converge here, and (where a bound exists) its cost.
    public struct IterativePrediction: Sendable {
        public var method: String
        public var converges: Bool?
        public var reason: String
        public var iterations: Double?
        public var flops: Double?
    }

    /// The head of a hybrid plan and the rest of its chain.
    public struct Plan: Sendable {
        public var purpose: String
        public var method: MethodKind
        public var preconditioner: PreconditionerKind
        public var reason: String
        public var chain: [String]
    }

    public var properties: MatrixProperties
    public var maxRowNonzeros: Int
    public var diagonal: Diagonal
    public var rows: Dominance
    public var columns: Dominance
    public var gershgorin: Gershgorin
    public var definiteness: Definiteness
    public var cholesky: CholeskyAttempt
    public var direct: [DirectPrediction]
    public var iterative: [IterativePrediction]
    public var plans: [Plan]
    public var tolerance: Double

    public var density: Double { Double(properties.nnz) / (Double(properties.n) * Double(properties.n)) }

    /// The facts that need one pass over the entries: diagonal signs, dominance counts, Gershgorin bounds.
    struct EntryFacts {
        var diagonal = Diagonal()
        var rows: Dominance
        var columns: Dominance
        var gershgorin: Gershgorin
        var maxRowNonzeros = 0

        init(_ a: CSRMatrix, diagonalPositions: [Int32], properties p: MatrixProperties) {
            var rowRadius = [Double](repeating: 0, count: a.rows)
            var columnRadius = [Double](repeating: 0, count: a.rows)
            for i in 0..<a.rows {
                maxRowNonzeros = max(maxRowNonzeros, a.rowPointers[i + 1] - a.rowPointers[i])
                for k in a.rowPointers[i]..<a.rowPointers[i + 1] where Int(a.colIndices[k]) != i {
                    rowRadius[i] += abs(a.values[k])
                    columnRadius[Int(a.colIndices[k])] += abs(a.values[k])
                }
            }
            let d = diagonalPositions.map { $0 >= 0 ? a.values[Int($0)] : 0 }
            for v in d {
                if v > 0 { diagonal.positive += 1 } else if v < 0 { diagonal.negative += 1 } else { diagonal.zero += 1 }
                diagonal.minimum = min(diagonal.minimum, v)
                diagonal.maximum = max(diagonal.maximum, v)
            }
            func dominance(_ radius: [Double], _ kind: MatrixProperties.Dominance, _ ratio: Double) -> Dominance {
                Dominance(kind: kind, strictCount: d.indices.filter { abs(d[$0]) > radius[$0] }.count,
                          weakCount: d.indices.filter { abs(d[$0]) >= radius[$0] }.count, minimumRatio: ratio)
            }
            rows = dominance(rowRadius, p.rowDominance, p.minimumRowDominanceRatio)
            columns = dominance(columnRadius, p.columnDominance, p.minimumColumnDominanceRatio)
            func bounds(_ radius: [Double]) -> Gershgorin {
                Gershgorin(lower: d.indices.map { d[$0] - radius[$0] }.min() ?? 0,
                           upper: d.indices.map { d[$0] + radius[$0] }.max() ?? 0)
            }
            let byRows = bounds(rowRadius), byColumns = bounds(columnRadius)
            gershgorin = Gershgorin(lower: max(byRows.lower, byColumns.lower), upper: min(byRows.upper, byColumns.upper))
        }
    }

    /// Definiteness from the diagonal signs, Gershgorin's lower bound and the Cholesky attempt: an SPD matrix
    /// has a positive diagonal; diagonal entries of both signs prove indefiniteness (`e_iᵀ A e_i` takes both).
    static func definiteness(_ p: MatrixProperties, _ f: EntryFacts, cholesky: CholeskyAttempt) -> Definiteness {
        let lower = f.gershgorin.lower, shown = rounded(lower)
        guard p.isSymmetric else {
            let stable = lower > 0 ? ["every eigenvalue has a positive real part (Gershgorin lower bound \(shown) > 0)"] : []
            return Definiteness(verdict: .notSymmetric,
                                evidence: ["nonsymmetric (tolerance \(p.symmetryTolerance)): definiteness concerns the symmetric part"] + stable)
        }
        let d = f.diagonal
        if d.positive > 0, d.negative > 0 {
            return Definiteness(verdict: .indefinite,
                                evidence: ["the diagonal has \(d.positive) positive and \(d.negative) negative entries: eᵢᵀAeᵢ takes both signs"])
        }
        if d.negative > 0 || d.zero > 0 {
            return Definiteness(verdict: .notPositiveDefinite,
                                evidence: ["\(d.negative) negative and \(d.zero) zero or missing diagonal entries: a positive definite matrix has a positive diagonal"])
        }
        var evidence = ["symmetric with a positive diagonal (\(rounded(d.minimum)) to \(rounded(d.maximum)))"]
        if lower > 0 {
            evidence.append("Gershgorin: every eigenvalue ≥ \(shown) > 0")
            if cholesky.succeeded == true { evidence.append("Cholesky succeeded") }
            return Definiteness(verdict: .positiveDefinite, evidence: evidence)
        }
        evidence.append("Gershgorin lower bound \(shown) is not positive")
        switch cholesky.succeeded {
        case true?:
            evidence.append("Cholesky succeeded: every pivot was positive")
            return Definiteness(verdict: .positiveDefinite, evidence: evidence)
        case false?:
            evidence.append("Cholesky failed: \(cholesky.message)")
            let singular = lower >= 0
            if singular { evidence.append("weakly dominant: positive semidefinite, and singular") }
            return Definiteness(verdict: singular ? .positiveSemidefinite : .notPositiveDefinite, evidence: evidence)
        case nil:
            if lower >= 0 {
                evidence.append("weakly dominant: at least positive semidefinite")
                return Definiteness(verdict: .positiveSemidefinite, evidence: evidence)
            }
            if p.hasPositiveOffDiagonal { evidence.append("positive off-diagonal entries without dominance: indefiniteness is possible") }
            evidence.append("no Cholesky attempt: \(cholesky.message)")
            return Definiteness(verdict: .unknown, evidence: evidence)
        }
    }
}
