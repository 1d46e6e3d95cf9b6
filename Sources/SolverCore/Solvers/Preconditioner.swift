/// An approximation `M ≈ A` whose inverse is cheap to apply, for `ConjugateGradient` and `BiCGSTAB`.
///
/// Requirements:
/// - `prepare(for:)` is called from the method's `restart`; it (re)builds `M` when the system or its
///   `matrixVersion` changed since the last build and is free otherwise. It throws when `M` cannot be built
///   (`zero_diagonal`, `preconditioner_breakdown`) so the caller can fall back to another preconditioner.
/// - `apply(_:into:)` writes `z = M⁻¹ r` without allocating; `r` and `z` have the system's dimension.
/// - When `M` is diagonal, `inverseDiagonal` returns `diag(M)⁻¹` so methods can fuse the application into their
///   own vector passes instead of calling `apply`.
public protocol Preconditioner: AnyObject {
    /// Short name for reports, e.g. `jacobi`, `ic0`.
    var name: String { get }
    /// Floating-point operations of one `apply`.
    var flopsPerApplication: Int { get }
    /// `diag(M)⁻¹` when `M` is diagonal, else nil.
    var inverseDiagonal: [Double]? { get }
    func prepare(for system: LiveSystem) throws
    func apply(_ r: [Double], into z: inout [Double])
    /// Bytes it holds, except storage it shares with `system` (copy-on-write; counted as the system's).
    func memoryBytes(besides system: LiveSystem) -> Int
}

extension Preconditioner {
    public var inverseDiagonal: [Double]? { nil }
}

/// Remembers which system and `matrixVersion` a preconditioner was built for, so `prepare` rebuilds only when `A`
/// changed.
struct PreconditionerBuildStamp {
    private var system: ObjectIdentifier?
    private var matrixVersion = 0

    /// True when nothing was built yet or `system`'s matrix changed since `markBuilt`.
    func isStale(for system: LiveSystem) -> Bool {
        self.system != ObjectIdentifier(system) || matrixVersion != system.matrixVersion
    }

    mutating func markBuilt(for system: LiveSystem) {
        self.system = ObjectIdentifier(system)
        matrixVersion = system.matrixVersion
    }

    mutating func invalidate() { system = nil }
}
