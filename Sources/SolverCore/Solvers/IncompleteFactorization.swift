/// The `ilu` preconditioner: IC(0) when the matrix is symmetric with a positive diagonal (so `M` stays symmetric
/// positive definite, as CG needs), ILU(0) otherwise. Decided on every rebuild, since updates can change symmetry.
public final class IncompleteFactorization: Preconditioner {
    private var properties: MatrixProperties?
    private var chosen: (any Preconditioner)?

    public init() {}

    /// `ic0` or `ilu0` once prepared, `ilu` before.
    public var name: String { chosen?.name ?? "ilu" }
    public var flopsPerApplication: Int { chosen?.flopsPerApplication ?? 0 }

    public func memoryBytes(besides system: LiveSystem) -> Int { chosen?.memoryBytes(besides: system) ?? 0 }

    public func prepare(for system: LiveSystem) throws {
        system.prepareForMethod()
        if let properties, properties.isCurrent(for: system), let chosen {
            try chosen.prepare(for: system)  // free unless the system itself changed
            return
        }
        let facts = MatrixProperties(system: system)
        properties = facts
        let wantsCholesky = facts.isSymmetric && facts.hasPositiveDiagonal
        if wantsCholesky != (chosen is IncompleteCholesky0) || chosen == nil {
            chosen = wantsCholesky ? IncompleteCholesky0() : IncompleteLU0()
        }
        try chosen!.prepare(for: system)
    }

    public func apply(_ r: [Double], into z: inout [Double]) {
        guard let chosen else { preconditionFailure("IncompleteFactorization.apply before prepare") }
        chosen.apply(r, into: &z)
    }
}
