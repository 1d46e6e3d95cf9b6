@testable import SolverCore
import SolverTestSupport

/// Small systems every method is checked on, with their dense reference solutions.
enum MethodFixture: String, CaseIterable, Sendable, CustomStringConvertible {
    /// 2D Laplacian + 0.1 on the diagonal: SPD, strictly diagonally dominant.
    case shiftedLaplacian
    /// Random nonsymmetric, strictly row- and column-dominant.
    case randomDominant
    /// PageRank `I − 0.85 Pᵀ`: nonsymmetric, strictly column-dominant.
    case pageRank
    /// The example system of docs/design.md §9.1: 3×3 tridiag(−1, 2, −1), b = [1, 2, 3] → x = [2.5, 4, 3.5].
    case planExample

    var description: String { rawValue }

    var isSymmetric: Bool { self == .shiftedLaplacian || self == .planExample }

    var matrix: CSRMatrix {
        switch self {
        case .shiftedLaplacian: MatrixGenerators.laplacian2D(side: 12, shift: 0.1)
        case .randomDominant: MatrixGenerators.randomDiagonallyDominant(n: 300, seed: 7)
        case .pageRank: MatrixGenerators.pageRank(n: 300)
        case .planExample: MatrixGenerators.planExample()
        }
    }

    func rightHandSide(_ n: Int) -> [Double] {
        self == .planExample ? [1, 2, 3] : MatrixGenerators.randomVector(n, seed: 11)
    }

    func makeSystem() throws -> LiveSystem {
        let a = matrix
        return try LiveSystem(matrix: a, b: rightHandSide(a.rows))
    }
}

/// Every method configuration the tests run, by the names the factory takes.
enum MethodSpec: String, CaseIterable, Sendable, CustomStringConvertible {
    case jacobi, weightedJacobi, gaussSeidel, sor, neumann
    case cg, cgJacobi, cgIlu
    case bicgstab, bicgstabJacobi, bicgstabIlu
    case minres, minresJacobi, gmres, gmresIlu
    case cholesky, ldlt, lu

    var description: String { rawValue }

    var needsSymmetric: Bool { [.cg, .cgJacobi, .cgIlu, .minres, .minresJacobi, .cholesky, .ldlt].contains(self) }

    func make() throws -> any IterativeMethod {
        switch self {
        case .jacobi: try MethodFactory.makeMethod(kind: .jacobi)
        case .weightedJacobi: try MethodFactory.makeMethod(kind: .jacobi, options: MethodOptions(jacobiWeight: 0.8))
        case .gaussSeidel: try MethodFactory.makeMethod(kind: .gaussSeidel)
        case .sor: try MethodFactory.makeMethod(kind: .gaussSeidel, options: MethodOptions(relaxation: 1.2))
        case .neumann: try MethodFactory.makeMethod(kind: .neumann)
        case .cg: try MethodFactory.makeMethod(kind: .cg)
        case .cgJacobi: try MethodFactory.makeMethod(kind: .cg, preconditioner: .jacobi)
        case .cgIlu: try MethodFactory.makeMethod(kind: .cg, preconditioner: .ilu)
        case .bicgstab: try MethodFactory.makeMethod(kind: .bicgstab)
        case .bicgstabJacobi: try MethodFactory.makeMethod(kind: .bicgstab, preconditioner: .jacobi)
        case .bicgstabIlu: try MethodFactory.makeMethod(kind: .bicgstab, preconditioner: .ilu)
        case .minres: try MethodFactory.makeMethod(kind: .minres)
        case .minresJacobi: try MethodFactory.makeMethod(kind: .minres, preconditioner: .jacobi)
        case .gmres: try MethodFactory.makeMethod(kind: .gmres)
        case .gmresIlu: try MethodFactory.makeMethod(kind: .gmres, preconditioner: .ilu)
        case .cholesky: try MethodFactory.makeMethod(kind: .cholesky)
        case .ldlt: try MethodFactory.makeMethod(kind: .ldlt)
        case .lu: try MethodFactory.makeMethod(kind: .lu)
        }
    }
}

/// A square CSR matrix from dense rows (zeros not stored).
func denseMatrix(_ rows: [[Double]]) -> CSRMatrix {
    var t = COOTriplets(rows: rows.count, cols: rows.count)
    for (i, row) in rows.enumerated() {
        for (j, v) in row.enumerated() where v != 0 { t.append(row: i, col: j, value: v) }
    }
    return t.toCSR()
}
