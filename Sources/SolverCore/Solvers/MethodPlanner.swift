/// The `hybrid` plan: an ordered list of methods to try, from the matrix's properties and the predicted cost of each
/// candidate, ending with a sparse factorisation whenever its predicted memory fits the limit — so `stagnated` is
/// never the answer for a system a factorisation within the limits solves.
///
/// Rules:
/// 1. the symbolic analysis of the factorisation that fits (Cholesky for a symmetric positive diagonal,
///    LDLᵀ for other symmetric matrices and for those with positive off-diagonal entries and no dominance — a
///    Laplacian with negative edge weights —, KLU's LU for the rest) predicts its flops and bytes:
///    - symmetric positive diagonal (likely SPD): the factorisation runs first when its predicted flops (plus one
///      solve) undercut CG+IC(0)'s predicted `√κ`-scaled iterations (κ bounded by the dominance, else ~ n), counted
///      `liveSolvesWeighed` times for a live session, where the factor turns each later global re-solve into one solve;
///    - indefinite or nonsymmetric: Krylov convergence cannot be predicted there, so the factorisation runs first;
/// 2. the iterative chain (`MethodSelector`, plus MINRES for symmetric and GMRES for nonsymmetric systems) follows;
///    a factor over the byte limit is left out and the reason says so.
public struct MethodPlan {
    /// In order: the first runs, the others are fallbacks.
    public var choices: [MethodChoice]
    /// Symbolic analyses already made, reused by the direct method that runs.
    public var analyses: [FactorizationKind: any SparseFactorization]
    /// The facts this plan was made from (nil when the client named the method).
    public var properties: MatrixProperties?

    public init(choices: [MethodChoice], analyses: [FactorizationKind: any SparseFactorization] = [:],
                properties: MatrixProperties? = nil) {
        precondition(!choices.isEmpty, "a plan has a first method")
        self.choices = choices
        self.analyses = analyses
        self.properties = properties
    }

    /// What this plan starts with, and why.
    public var first: MethodChoice { choices[0] }

    public func analysis(for choice: MethodChoice) -> (any SparseFactorization)? {
        choice.kind.factorization.flatMap { analyses[$0] }
    }
}

public enum MethodPlanner {
    /// A one-shot solve, or a live session whose factor keeps paying off across updates.
    public enum Purpose: Sendable {
        case oneShot
        case live
    }

    /// A live session re-solves after many updates; a factor makes each global re-solve one solve, so its cost is
    /// weighed against this many iterative solves.
    static let liveSolvesWeighed = 10.0

    public static func plan(for system: LiveSystem, purpose: Purpose, tolerance: Double = 1e-8,
                            byteLimit: Int = SparseFactorizations.defaultByteLimit) -> MethodPlan {
        plan(for: system, purpose: purpose, tolerance: tolerance, properties: MatrixProperties(system: system)) {
            try SparseFactorizations.analyze(system.matrix, kind: $0, byteLimit: byteLimit)
        }
    }

    /// The plan from facts already computed, with `analyze` making (or handing over an already made) symbolic
    /// analysis: `solverd analyze` plans for both purposes from one analysis per kind.
    public static func plan(for system: LiveSystem, purpose: Purpose, tolerance: Double, properties: MatrixProperties,
                            analyze: (FactorizationKind) throws -> any SparseFactorization) -> MethodPlan {
        var iterative = iterativeChain(properties)
        let symmetric = properties.isSymmetric
        let kind = directKind(properties)
        let analysis: any SparseFactorization
        do {
            analysis = try analyze(kind)
        } catch {
            let why = (error as? SolverError)?.message ?? "\(error)"
            iterative[0].reason += "; no direct fallback: \(why)"
            return MethodPlan(choices: iterative, analyses: [:], properties: properties)
        }
        let estimate = analysis.estimate
        let directFlops = estimate.factorFlops + estimate.solveFlops
        let facts = "\(kind.rawValue) predicts nnz(L) \(estimate.factorNonzeros), \(format(directFlops)) flops, \(estimate.bytes) bytes (\(estimate.ordering))"
        let direct = directKinds(from: kind).map { MethodChoice(kind: $0.method, preconditioner: .none, reason: "") }
        func plan(directFirstBecause reason: String?) -> MethodPlan {
            let chain = reason.map { why in
                [reasoned(direct[0], why)] + direct.dropFirst().map { reasoned($0, "after \(kind.rawValue) failed") } + iterative
            } ?? iterative + direct.map { reasoned($0, "fallback after the iterative chain") }
            return MethodPlan(choices: chain, analyses: [kind: analysis], properties: properties)
        }
        if kind == .cholesky {
            let weight = purpose == .live ? liveSolvesWeighed : 1
            let iterativeFlops = conjugateGradientCost(properties, tolerance: tolerance).flops * weight
            let cg = "cg+ic0 predicts \(format(iterativeFlops)) flops\(purpose == .live ? " over \(Int(weight)) live solves" : "")"
            if directFlops > iterativeFlops {
                iterative[0].reason += "; \(cg), under \(facts): the factor is the last fallback"
                return plan(directFirstBecause: nil)
            }
            return plan(directFirstBecause: "symmetric with positive diagonal: \(facts), under \(cg)")
        }
        let shape = !symmetric ? "nonsymmetric"
            : properties.hasPositiveDiagonal ? "symmetric with positive off-diagonal entries and no dominance (indefinite evidence)"
            : "symmetric, not positive on the diagonal (indefinite evidence)"
        return plan(directFirstBecause: "\(shape): Krylov convergence is unpredictable here; \(facts)")
    }

    /// The factorisation the plan analyses: Cholesky for a likely SPD matrix, LDLᵀ for other symmetric ones (and
    /// for positive off-diagonals without dominance: indefinite evidence), LU for the rest.
    public static func directKind(_ properties: MatrixProperties) -> FactorizationKind {
        let likelySPD = properties.isSymmetric && properties.hasPositiveDiagonal
        let dominant = properties.rowDominance == .strict || properties.columnDominance == .strict
        // Positive off-diagonals without dominance: indefiniteness is likely, and LDLᵀ factors SPD matrices too.
        let definiteDoubt = likelySPD && !dominant && properties.hasPositiveOffDiagonal
        return likelySPD && !definiteDoubt ? .cholesky : (properties.isSymmetric ? .ldlt : .lu)
    }

    /// CG's predicted cost for one solve to `tolerance`: its iterations grow like √κ, and dominance bounds κ by
    /// (1 + ρ) / (1 − ρ), ρ the largest off-diagonal row sum over the diagonal; without dominance κ ~ n, as on
    /// meshes. Each iteration costs a product, the IC(0) sweeps and the vector updates.
    public static func conjugateGradientCost(_ properties: MatrixProperties, tolerance: Double)
        -> (iterations: Double, flops: Double, conditionBound: Double) {
        let n = Double(properties.n)
        let rho = properties.minimumRowDominanceRatio > 0 ? 1 / properties.minimumRowDominanceRatio : 1
        let kappa = rho < 1 ? (1 + rho) / (1 - rho) : n
        let iterations = kappa.squareRoot() * ReconvergenceCosts.naturalLog(2 / tolerance) / 2
        return (iterations, iterations * (6 * Double(properties.nnz) + 10 * n), kappa)
    }

    /// Cholesky, then LDLᵀ (indefinite after all), then LU (a zero pivot needs pivoting).
    static func directKinds(from kind: FactorizationKind) -> [FactorizationKind] {
        switch kind {
        case .cholesky: return [.cholesky, .ldlt, .lu]
        case .ldlt: return [.ldlt, .lu]
        case .lu: return [.lu]
        }
    }

    /// `MethodSelector`'s choice and its fallbacks, with MINRES (symmetric) or GMRES (nonsymmetric) after them.
    static func iterativeChain(_ properties: MatrixProperties) -> [MethodChoice] {
        var chain = [MethodSelector.choose(for: properties)]
        while let next = MethodSelector.fallback(after: chain[chain.count - 1], failure: "it failed") { chain.append(next) }
        let krylov = properties.isSymmetric
            ? MethodChoice(kind: .minres, preconditioner: properties.hasNonzeroDiagonal ? .jacobi : .none,
                           reason: "minres for a symmetric system")
            : MethodChoice(kind: .gmres, preconditioner: properties.hasNonzeroDiagonal ? .ilu : .none,
                           reason: "gmres(30) for a nonsymmetric system")
        return properties.isSymmetric && !properties.hasPositiveDiagonal ? [krylov] + chain : chain + [krylov]
    }

    private static func reasoned(_ choice: MethodChoice, _ reason: String) -> MethodChoice {
        var choice = choice
        choice.reason = reason
        return choice
    }

    static func format(_ flops: Double) -> String {
        flops >= 1e9 ? "\((flops / 1e8).rounded() / 10) G" : flops >= 1e6 ? "\((flops / 1e5).rounded() / 10) M" : "\(Int(flops))"
    }
}
