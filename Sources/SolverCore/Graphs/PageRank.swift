/// PageRank as a sparse linear system: with `P` the row-stochastic transition matrix of a weighted directed graph
/// (`P_ij = w_ij / Σ_k w_ik`), damping `d` and personalisation `v` (uniform by default), the ranks are
/// `π = y / ‖y‖₁` for `(I − d Pᵀ) y = v`. Dangling nodes (no out-links) then jump by `v`, as networkx's `pagerank`
/// does by default. `I − d Pᵀ` is strictly column diagonally dominant, so every iterative method here converges
/// on it; `jacobi` is the power iteration, `push` the local (Gauss–Southwell) PageRank push.
public enum PageRank {
    public struct Result: Sendable {
        /// Ranks in node order, summing to 1.
        public var ranks: [Double]
        public var report: SolveReport
        /// Nodes without out-links (jumping by the personalisation).
        public var danglingNodes: Int
        public var edges: Int
    }

    /// `I − d Pᵀ` for `adjacency` (`A[src][dst]` = edge weight). Weights must be non-negative and finite.
    public static func matrix(adjacency a: CSRMatrix, damping d: Double) -> CSRMatrix {
        let outWeight = outWeights(a)
        var t = COOTriplets(rows: a.rows, cols: a.rows)
        t.reserve(a.nnz + a.rows)
        for i in 0..<a.rows { t.append(row: i, col: i, value: 1) }
        for src in 0..<a.rows where outWeight[src] > 0 {
            for k in a.rowPointers[src]..<a.rowPointers[src + 1] where a.values[k] != 0 {
                t.append(row: Int(a.colIndices[k]), col: src, value: -(d * a.values[k] / outWeight[src]))
            }
        }
        return t.toCSR()
    }

    /// Checks the graph and the parameters; errors name the field the caller reads them from.
    public static func validate(adjacency a: CSRMatrix, damping: Double, personalization: [Double]?,
                                fields: (adjacency: String, damping: String, personalization: String)) throws {
        guard a.isSquare, a.rows > 0 else {
            throw SolverError(.notSquare, "an adjacency matrix is square, got \(a.rows)×\(a.cols)", field: fields.adjacency)
        }
        guard damping >= 0, damping < 1 else {
            throw SolverError.invalidArgument("the damping factor must be in [0, 1), got \(damping)", field: fields.damping)
        }
        if let k = a.values.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
            throw SolverError.invalidArgument("edge weights must be non-negative and finite, found \(a.values[k])",
                                              field: fields.adjacency)
        }
        guard let v = personalization else { return }
        guard v.count == a.rows else {
            throw SolverError.dimensionMismatch("has \(v.count) entries but the graph has \(a.rows) nodes", field: fields.personalization)
        }
        guard v.allSatisfy({ $0 >= 0 && $0.isFinite }), v.contains(where: { $0 > 0 }) else {
            throw SolverError.invalidArgument("must be non-negative with a positive entry", field: fields.personalization)
        }
    }

    /// Solves for the ranks with `kind` (any method; `push` by default: the work follows the rank mass).
    /// `tolerance` is the solver's relative residual, `‖v − (I − d Pᵀ) y‖₂ ≤ tolerance · ‖v‖₂`.
    public static func solve(adjacency a: CSRMatrix, damping: Double, personalization: [Double]? = nil,
                             kind: MethodKind = .push, tolerance: Double = 1e-10, maxIterations: Int = 100_000,
                             loop: any ParallelLoop = SequentialLoop()) throws -> Result {
        try validate(adjacency: a, damping: damping, personalization: personalization,
                     fields: ("adjacency", "damping", "personalization"))
        var v = personalization ?? [Double](repeating: 1, count: a.rows)
        let mass = v.reduce(0, +)
        for i in v.indices { v[i] /= mass }
        let system = try LiveSystem(matrix: matrix(adjacency: a, damping: damping), b: v, loop: loop)
        let preconditioner: PreconditionerKind = kind == .cg || kind == .bicgstab || kind == .gmres ? .jacobi : .none
        let report = try SolveDriver.run(system, kind: kind, preconditioner: preconditioner,
                                         options: SolveOptions(tolerance: tolerance, maxIterations: maxIterations))
        let total = system.x.reduce(0, +)
        let ranks = total != 0 ? system.x.map { $0 / total } : system.x
        let dangling = outWeights(a).filter { $0 == 0 }.count
        return Result(ranks: ranks, report: report, danglingNodes: dangling, edges: a.nnz)
    }

    /// The `k` highest ranks as (node, rank), ties by node number.
    public static func top(_ ranks: [Double], _ k: Int) -> [(node: Int, rank: Double)] {
        let order = ranks.indices.sorted { ranks[$0] != ranks[$1] ? ranks[$0] > ranks[$1] : $0 < $1 }
        return order.prefix(max(0, k)).map { ($0, ranks[$0]) }
    }

    static func outWeights(_ a: CSRMatrix) -> [Double] {
        (0..<a.rows).map { i in (a.rowPointers[i]..<a.rowPointers[i + 1]).reduce(0) { $0 + a.values[$1] } }
    }
}
