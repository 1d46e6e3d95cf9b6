/// The `hybrid` method: picks a method and preconditioner from `MatrixProperties`.
///
/// Rules, first match wins:
/// 1. a zero or missing diagonal rules out everything that divides by it: BiCGSTAB without a preconditioner;
/// 2. symmetric with a positive diagonal (likely SPD): CG + IC(0) — the fewest, cheapest iterations there;
///    `fallback(after:)` drops to CG + Jacobi when IC(0) breaks down and to BiCGSTAB + ILU(0) when CG does;
/// 3. small nonsymmetric systems: BiCGSTAB + ILU(0), robust and cheap to factor at this size;
/// 4. nonsymmetric and strictly diagonally dominant by rows or columns: BiCGSTAB + Jacobi (the diagonal already
///    captures most of `A`; the preconditioner costs one fused pass);
/// 5. otherwise: BiCGSTAB + ILU(0).
public enum MethodSelector {
    /// At or below this dimension a factorisation costs next to nothing, so the robust choice wins.
    public static let smallSystemDimension = 2_000

    public static func choose(for properties: MatrixProperties) -> MethodChoice {
        guard properties.hasNonzeroDiagonal else {
            return MethodChoice(kind: .bicgstab, preconditioner: .none,
                                reason: "zero or missing diagonal entries rule out diagonal scaling: bicgstab")
        }
        if properties.isSymmetric && properties.hasPositiveDiagonal {
            return MethodChoice(kind: .cg, preconditioner: .ilu, reason: "symmetric with positive diagonal: cg+ic0")
        }
        let symmetry = properties.isSymmetric ? "symmetric but not positive on the diagonal" : "nonsymmetric"
        if properties.n <= smallSystemDimension {
            return MethodChoice(kind: .bicgstab, preconditioner: .ilu,
                                reason: "small \(symmetry) system (n = \(properties.n)): bicgstab+ilu0, robust and cheap to factor")
        }
        if properties.rowDominance == .strict || properties.columnDominance == .strict {
            let by = properties.rowDominance == .strict ? "rows" : "columns"
            return MethodChoice(kind: .bicgstab, preconditioner: .jacobi,
                                reason: "\(symmetry), diagonally dominant by \(by): bicgstab+jacobi")
        }
        return MethodChoice(kind: .bicgstab, preconditioner: .ilu,
                            reason: "\(symmetry), not diagonally dominant: bicgstab+ilu0")
    }

    /// What to try after `choice` failed (its preconditioner could not be built, or the run diverged, stagnated
    /// or broke down); nil when nothing sensible is left.
    public static func fallback(after choice: MethodChoice, failure: String) -> MethodChoice? {
        switch (choice.kind, choice.preconditioner) {
        case (.cg, .ilu):
            return MethodChoice(kind: .cg, preconditioner: .jacobi, reason: "\(choice.reason); then cg+jacobi after: \(failure)")
        case (.cg, _):
            return MethodChoice(kind: .bicgstab, preconditioner: .ilu, reason: "\(choice.reason); then bicgstab+ilu after: \(failure)")
        case (.bicgstab, .ilu):
            return MethodChoice(kind: .bicgstab, preconditioner: .jacobi, reason: "\(choice.reason); then bicgstab+jacobi after: \(failure)")
        case (.bicgstab, .jacobi):
            return MethodChoice(kind: .bicgstab, preconditioner: .none, reason: "\(choice.reason); then bicgstab after: \(failure)")
        default:
            return nil
        }
    }
}
