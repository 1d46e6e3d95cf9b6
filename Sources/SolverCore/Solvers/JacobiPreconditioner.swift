/// Diagonal (Jacobi) preconditioner `M = diag(A)`: cheap, parallel, and fused by CG into its update pass. Needs a
/// non-zero diagonal. With `absolute`, `M = |diag(A)|`: symmetric positive definite whenever no diagonal entry is
/// zero, which MINRES needs on indefinite matrices.
public final class JacobiPreconditioner: Preconditioner {
    public var name: String { "jacobi" }
    public private(set) var inverseDiagonal: [Double]? = nil
    public let absolute: Bool
    private var stamp = PreconditionerBuildStamp()

    public init(absolute: Bool = false) {
        self.absolute = absolute
    }

    public var flopsPerApplication: Int { inverseDiagonal?.count ?? 0 }

    public func memoryBytes(besides system: LiveSystem) -> Int { inverseDiagonal.map(MemoryAccounting.bytes) ?? 0 }

    public func prepare(for system: LiveSystem) throws {
        system.prepareForMethod()
        guard stamp.isStale(for: system) else { return }
        stamp.invalidate()
        let inverse = try system.inverseDiagonal()
        inverseDiagonal = absolute ? inverse.map(abs) : inverse
        stamp.markBuilt(for: system)
    }

    public func apply(_ r: [Double], into z: inout [Double]) {
        guard let inverseDiagonal else { preconditionFailure("JacobiPreconditioner.apply before prepare") }
        RelaxationKernels.scale(r, by: inverseDiagonal, into: &z)
    }
}
