/// Diagonal (Jacobi) preconditioner `M = diag(A)`: cheap, parallel, and fused by CG into its update pass. Needs a
/// non-zero diagonal.
public final class JacobiPreconditioner: Preconditioner {
    public var name: String { "jacobi" }
    public private(set) var inverseDiagonal: [Double]? = nil
    private var stamp = PreconditionerBuildStamp()

    public init() {}

    public var flopsPerApplication: Int { inverseDiagonal?.count ?? 0 }

    public func prepare(for system: LiveSystem) throws {
        system.prepareForMethod()
        guard stamp.isStale(for: system) else { return }
        stamp.invalidate()
        inverseDiagonal = try system.inverseDiagonal()
        stamp.markBuilt(for: system)
    }

    public func apply(_ r: [Double], into z: inout [Double]) {
        guard let inverseDiagonal else { preconditionFailure("JacobiPreconditioner.apply before prepare") }
        RelaxationKernels.scale(r, by: inverseDiagonal, into: &z)
    }
}
