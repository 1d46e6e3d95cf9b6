/// The names clients use for methods: `jacobi`, `gauss_seidel`, `cg`, `hybrid` and ours (docs/design.md §3.3).
public enum MethodKind: String, Sendable, CaseIterable, Codable {
    case jacobi
    case gaussSeidel = "gauss_seidel"
    case cg
    case bicgstab
    case neumann
    case push
    case randomWalk = "random_walk"
    case hybrid
    /// Sparse direct: CHOLMOD supernodal LLᵀ (SPD).
    case cholesky
    /// Sparse direct: CHOLMOD simplicial LDLᵀ (symmetric indefinite, quasi-definite).
    case ldlt
    /// Sparse direct: KLU LU with partial pivoting (any square matrix).
    case lu
    /// MINRES (symmetric, possibly indefinite), with an SPD Jacobi preconditioner when asked.
    case minres
    /// Restarted GMRES(30), right-preconditioned (nonsymmetric).
    case gmres

    /// The factorisation behind a direct method, nil for iterative ones.
    public var factorization: FactorizationKind? {
        switch self {
        case .cholesky: return .cholesky
        case .ldlt: return .ldlt
        case .lu: return .lu
        default: return nil
        }
    }

    /// Parses a client-supplied name; the error lists the valid ones.
    public static func parse(_ name: String, field: String = "method") throws -> MethodKind {
        try parseName(name, what: "method", code: .unsupportedMethod, field: field)
    }
}

/// Preconditioners for `cg` and `bicgstab`. `ilu` means incomplete factorisation: IC(0) on symmetric positive
/// definite matrices, ILU(0) otherwise.
public enum PreconditionerKind: String, Sendable, CaseIterable, Codable {
    case none
    case jacobi
    case ilu

    public static func parse(_ name: String, field: String = "options.preconditioner") throws -> PreconditionerKind {
        try parseName(name, what: "preconditioner", code: .invalidArgument, field: field)
    }
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The case named `name`, or an error with `code` listing every valid name.
    static func parseName(_ name: String, what: String, code: SolverError.Code, field: String) throws -> Self {
        guard let value = Self(rawValue: name) else {
            let valid = allCases.map(\.rawValue).joined(separator: ", ")
            throw SolverError(code, "unknown \(what) '\(name)'; valid: \(valid)", field: field)
        }
        return value
    }
}

/// What one step of a method did.
public struct MethodStep: Sendable, Equatable {
    /// Floating-point operations performed (multiply-adds count as two).
    public var flops: Int
    /// Set when the method cannot continue from this state (a zero pivot, a vanishing inner product).
    public var breakdown: String?

    public init(flops: Int, breakdown: String? = nil) {
        self.flops = flops
        self.breakdown = breakdown
    }
}

/// An iterative method that advances a `LiveSystem` one step at a time, so a scheduler can interleave sessions.
///
/// Contract:
/// - `restart` is called before the first step and after anything changed `A`, `b`, `x` or `r` from outside the
///   method (updates, corrections). It starts from the system's current `x` and `r` (a warm start) and may throw
///   when the method cannot apply (for example a zero diagonal for Jacobi), naming the field.
/// - `step` performs one iteration or sweep. On return `system.x` is the new iterate and `system.r`,
///   `system.residualNormSquared` describe `b − A x` (recurrence-updated residuals may drift from the true one by
///   rounding; the verification layer measures and corrects that).
/// - Methods never loop unboundedly inside `step` and never check convergence themselves: the caller does.
public protocol IterativeMethod: AnyObject {
    /// What runs, e.g. `cg+ic0`, for reports.
    var name: String { get }
    func restart(_ system: LiveSystem) throws
    func step(_ system: LiveSystem) -> MethodStep
    /// Adds what the method holds beyond `system` (work vectors, preconditioner, factor) to `memory`; storage it
    /// shares with `system`'s arrays (copy-on-write) is counted by the system, not again here.
    func accountMemory(_ memory: inout MemoryBreakdown, system: LiveSystem)
    /// Frees the work vectors `restart` rebuilds (a solve ended; the next one restarts). Keeps what is costly to
    /// rebuild (preconditioners, factors). Until the next `restart`, `step` must not be called.
    func releaseWorkspace()
}
