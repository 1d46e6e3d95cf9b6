/// What `MethodSelector` picked for a matrix, and why, in words a client can read.
public struct MethodChoice: Sendable, Equatable, CustomStringConvertible {
    public var kind: MethodKind
    public var preconditioner: PreconditionerKind
    /// For example "symmetric with positive diagonal: cg+ic0".
    public var reason: String

    public init(kind: MethodKind, preconditioner: PreconditionerKind, reason: String) {
        self.kind = kind
        self.preconditioner = preconditioner
        self.reason = reason
    }

    public var description: String { "\(kind.rawValue)+\(preconditioner.rawValue) (\(reason))" }
}
