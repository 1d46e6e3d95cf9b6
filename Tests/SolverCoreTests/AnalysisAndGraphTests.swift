import Testing
@testable import SolverCore
import SolverTestSupport

/// The offline computations behind `solverd analyze`, `pagerank` and `generate`: matrix analysis, PageRank as a
/// linear system, the edge-list reader, the 3D Laplacian and symmetric Matrix Market output.
@Suite struct AnalysisAndGraphTests {
    static func system(_ a: CSRMatrix) throws -> LiveSystem {
        try LiveSystem(matrix: a, b: [Double](repeating: 1, count: a.rows))
    }

    static func dense(_ rows: [[Double]]) -> CSRMatrix {
        var t = COOTriplets(rows: rows.count, cols: rows.count)
        for (i, row) in rows.enumerated() {
            for (j, v) in row.enumerated() where v != 0 { t.append(row: i, col: j, value: v) }
        }
        return t.toCSR()
    }

    @Test func shiftedLaplacianIsProvedPositiveDefinite() throws {
        let a = MatrixGenerators.laplacian2D(side: 6, shift: 0.5)
        let analysis = MatrixAnalysis.analyze(try Self.system(a))
        #expect(analysis.definiteness.verdict == .positiveDefinite)
        #expect(abs(analysis.gershgorin.lower - 0.5) < 1e-12 && abs(analysis.gershgorin.upper - 8.5) < 1e-12)
        #expect(analysis.rows.strictCount == 36 && analysis.rows.kind == .strict)
        #expect(analysis.cholesky.succeeded == true)
        #expect(analysis.direct.map(\.kind) == [.cholesky, .ldlt, .lu])
        #expect(analysis.plans.map(\.purpose) == ["one_shot", "live"])
        let planned = MethodPlanner.plan(for: try Self.system(a), purpose: .live)
        #expect(analysis.plans[1].method == planned.first.kind && analysis.plans[1].reason == planned.first.reason)
    }

    @Test func definitenessVerdicts() throws {
        let mixed = MatrixAnalysis.analyze(try Self.system(Self.dense([[2, 0], [0, -1]])))
        #expect(mixed.definiteness.verdict == .indefinite)
        let failing = MatrixAnalysis.analyze(try Self.system(Self.dense([[1, 2], [2, 1]])))
        #expect(failing.definiteness.verdict == .notPositiveDefinite && failing.cholesky.succeeded == false)
        let singular = MatrixAnalysis.analyze(try Self.system(Self.dense([[1, -1], [-1, 1]])))
        #expect(singular.definiteness.verdict == .positiveSemidefinite)
        let nonsymmetric = MatrixAnalysis.analyze(try Self.system(MatrixGenerators.randomDiagonallyDominant(n: 50)))
        #expect(nonsymmetric.definiteness.verdict == .notSymmetric && nonsymmetric.direct.map(\.kind) == [.lu])
        #expect(nonsymmetric.iterative.first { $0.method == "random_walk" }?.converges == true)
    }

    @Test func pageRankMatchesThePowerIteration() throws {
        // 0 → 1, 0 → 2 (weight 2), 1 → 2, 2 → 0, 2 → 2 (0.5), 3 → 2, 3 → 4 (weight 3); 4 is dangling.
        let edges: [(Int, Int, Double)] = [(0, 1, 1), (0, 2, 2), (1, 2, 1), (2, 0, 1), (2, 2, 0.5), (3, 2, 1), (3, 4, 3)]
        var t = COOTriplets(rows: 5, cols: 5)
        for (s, d, w) in edges { t.append(row: s, col: d, value: w) }
        let a = t.toCSR()
        var x = [Double](repeating: 0.2, count: 5)
        for _ in 0..<2000 {
            var next = [Double](repeating: 0, count: 5)
            let dangling = x[4]
            for s in 0..<5 {
                let out = edges.filter { $0.0 == s }.reduce(0) { $0 + $1.2 }
                for (src, dst, w) in edges where src == s { next[dst] += 0.85 * x[s] * w / out }
            }
            x = next.map { $0 + 0.85 * dangling / 5 + 0.15 / 5 }
        }
        for kind in [MethodKind.push, .jacobi, .gaussSeidel, .bicgstab, .lu] {
            let result = try PageRank.solve(adjacency: a, damping: 0.85, kind: kind)
            #expect(result.report.status == .converged, "\(kind)")
            #expect(DenseReference.maxDifference(result.ranks, x) < 1e-9, "\(kind)")
            #expect(result.danglingNodes == 1)
        }
        #expect(PageRank.top(x, 2).map(\.node) == [2, 0])
    }

    @Test func pageRankRefusesBadInput() {
        let a = Self.dense([[0, -1], [1, 0]])
        #expect(throws: SolverError.self) { try PageRank.solve(adjacency: a, damping: 0.85) }
        #expect(throws: SolverError.self) { try PageRank.solve(adjacency: Self.dense([[0, 1], [1, 0]]), damping: 1) }
        #expect(throws: SolverError.self) {
            try PageRank.solve(adjacency: Self.dense([[0, 1], [1, 0]]), damping: 0.5, personalization: [0, 0])
        }
    }

    @Test func edgeListReaderNamesNodesAndLines() throws {
        var reader = EdgeListReader()
        for chunk in ["# header\nb a 2\na c\n", "c b # trailing\n\n% also a comment\nb a 1.5"] {
            try reader.feed(bytes: Array(chunk.utf8))
        }
        let graph = try reader.finish()
        #expect(graph.labels == ["b", "a", "c"])
        #expect(graph.adjacency.nnz == 3)
        #expect(graph.adjacency.rowPointers == [0, 1, 2, 3])
        #expect(graph.adjacency.values == [3.5, 1, 1])  // b → a twice: the weights add
        var bad = EdgeListReader()
        #expect(throws: SolverError.parseError(line: 2, "the weight must be a non-negative number, found '-1'")) {
            try bad.feed(bytes: Array("a b\na b -1\n".utf8))
        }
        var empty = EdgeListReader()
        #expect(throws: SolverError.self) { _ = try empty.finish() }
    }

    @Test func laplacian3DHasSevenPointRows() {
        let a = MatrixGenerators.laplacian3D(side: 3, shift: 1)
        #expect(a.rows == 27 && a.nnz == 27 + 2 * 3 * 2 * 9)
        let centre = 13
        let row = a.rowPointers[centre]..<a.rowPointers[centre + 1]
        #expect(row.count == 7 && row.map { Int(a.colIndices[$0]) } == [4, 10, 12, 13, 14, 16, 22])
        #expect(row.map { a.values[$0] }.reduce(0, +) == 1)
    }

    @Test func symmetricMatrixMarketRoundTrips() throws {
        let a = MatrixGenerators.laplacian2D(side: 4, shift: 0.25)
        let text = MatrixMarketWriter.write(a, symmetric: true)
        #expect(text.hasPrefix("%%MatrixMarket matrix coordinate real symmetric\n16 16 40\n"))
        var reader = MatrixMarketReader()
        try reader.feed(bytes: Array(text.utf8))
        let back = try reader.finish()
        #expect(back.rowPointers == a.rowPointers && back.colIndices == a.colIndices && back.values == a.values)
    }
}
