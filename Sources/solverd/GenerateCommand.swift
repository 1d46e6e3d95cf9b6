import ArgumentParser
import Foundation
import SolverCore

/// `solverd generate KIND`: the model systems the tests and benchmarks use (`MatrixGenerators`), as Matrix Market
/// files (symmetric ones as `coordinate real symmetric`), with an optional right-hand side; `graph` writes a
/// random directed graph as an edge list for `solverd pagerank`.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a model matrix (Laplacian 2D/3D, random diagonally dominant, PageRank) or graph.",
        discussion: """
            laplacian2d, laplacian3d: the 5- and 7-point Laplacians on a grid (SPD; --shift adds to the diagonal). \
            random-dd: random nonsymmetric, strictly row- and column-diagonally dominant. pagerank: I − d·Pᵀ for a \
            random graph with --out-degree links per node. graph: that random graph as 'src dst' lines (0-based), \
            or --mtx for its adjacency matrix.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case laplacian2d, laplacian3d
        case randomDD = "random-dd"
        case pagerank, graph
    }

    enum RightHandSide: String, ExpressibleByArgument, CaseIterable {
        case ones, random, uniform
    }

    @Argument(help: "laplacian2d | laplacian3d | random-dd | pagerank | graph.")
    var kind: Kind

    @Option(name: .long, help: "Rows (nodes); a grid gets the nearest full grid (default 10000).")
    var size: Int = 10_000

    @Option(name: .long, help: "Grid side for the Laplacians (instead of --size).")
    var side: Int?

    @Option(name: .long, help: "Added to the Laplacians' diagonal (> 0: strictly diagonally dominant).")
    var shift: Double = 0

    @Option(name: .long, help: "random-dd: fraction of off-diagonal entries per row, in (0, 1] (default: 4 per row).")
    var density: Double?

    @Option(name: .long, help: "random-dd: |a_ii| ≥ dominance · (off-diagonal row and column sums), > 1.")
    var dominance: Double = 1.5

    @Option(name: .customLong("out-degree"), help: "pagerank, graph: links per node.")
    var outDegree: Int = 5

    @Option(name: .long, help: "pagerank: damping factor d in [0, 1).")
    var damping: Double = 0.85

    @Option(name: .long, help: "Random seed (random-dd, pagerank, graph, --rhs-kind random).")
    var seed: UInt64 = 1

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of stdout.")
    var output: String?

    @Option(name: .long, help: "Also write a right-hand side b here (Matrix Market array).")
    var rhs: String?

    @Option(name: .customLong("rhs-kind"), help: "ones | random (in [-1, 1)) | uniform (1/n) (default: uniform for pagerank, else ones).")
    var rhsKind: RightHandSide?

    @Flag(name: .long, help: "Write every entry (coordinate real general), also for symmetric matrices.")
    var general = false

    @Flag(name: .long, help: "graph: write the adjacency matrix as Matrix Market instead of an edge list.")
    var mtx = false

    func validate() throws {
        guard (1...MatrixLimits().maxRows).contains(size) else { throw ValidationError("--size must be in 1...\(MatrixLimits().maxRows)") }
        if let side, !(1...10_000).contains(side) { throw ValidationError("--side must be in 1...10000") }
        if let density, !(density > 0 && density <= 1) { throw ValidationError("--density must be in (0, 1]") }
        guard shift >= 0, shift.isFinite else { throw ValidationError("--shift must be non-negative") }
        guard dominance > 1, dominance.isFinite else { throw ValidationError("--dominance must be > 1") }
        guard outDegree >= 1 else { throw ValidationError("--out-degree must be at least 1") }
        guard damping >= 0, damping < 1 else { throw ValidationError("--damping must be in [0, 1)") }
        if rhs != nil, kind == .graph { throw ValidationError("--rhs is for matrices; a graph has none") }
        if mtx, kind != .graph { throw ValidationError("--mtx is for graph (matrices are always Matrix Market)") }
    }

    func run() throws {
        try CommandErrors.reporting("generate") {
            let (matrix, symmetric) = build()
            let target = output ?? "stdout"
            try OutputFile.write(to: output) { sink in
                if kind == .graph && !mtx {
                    try EdgeListWriter.write(matrix, to: sink)
                } else {
                    try MatrixMarketWriter.write(matrix, symmetric: symmetric && !general) { try sink($0) }
                }
            }
            var note = "\(kind.rawValue): \(matrix.rows) × \(matrix.cols), \(matrix.nnz) nonzeros → \(target)"
            if let rhs {
                let b = rightHandSide(matrix.rows)
                try OutputFile.write(to: rhs) { sink in try MatrixMarketWriter.write(vector: b) { try sink($0) } }
                note += ", b → \(rhs)"
            }
            FileHandle.standardError.write(Data("solverd generate: \(note)\n".utf8))
        }
    }

    /// The matrix and whether it is symmetric (written as the lower triangle).
    private func build() -> (CSRMatrix, Bool) {
        func gridSide(_ dimensions: Double) -> Int { side ?? max(1, Int(pow(Double(size), 1 / dimensions).rounded())) }
        switch kind {
        case .laplacian2d: return (MatrixGenerators.laplacian2D(side: gridSide(2), shift: shift), true)
        case .laplacian3d: return (MatrixGenerators.laplacian3D(side: gridSide(3), shift: shift), true)
        case .randomDD:
            let perRow = density.map { max(1, Int(($0 * Double(size - 1)).rounded())) } ?? 4
            return (MatrixGenerators.randomDiagonallyDominant(n: size, perRow: perRow, dominance: dominance, seed: seed), false)
        case .pagerank:
            return (MatrixGenerators.pageRank(n: size, outDegree: outDegree, alpha: damping, seed: seed), false)
        case .graph:
            return (MatrixGenerators.randomGraph(n: size, outDegree: outDegree, seed: seed), false)
        }
    }

    private func rightHandSide(_ n: Int) -> [Double] {
        switch rhsKind ?? (kind == .pagerank ? .uniform : .ones) {
        case .ones: return [Double](repeating: 1, count: n)
        case .uniform: return [Double](repeating: 1 / Double(n), count: n)
        case .random: return MatrixGenerators.randomVector(n, seed: seed)
        }
    }
}

/// `src dst` lines (0-based; the weight when it is not 1), the edge list `EdgeListReader` reads.
enum EdgeListWriter {
    static func write(_ adjacency: CSRMatrix, to sink: (String) throws -> Void) throws {
        var text = "# \(adjacency.rows) nodes, \(adjacency.nnz) edges: src dst [weight]\n"
        for src in 0..<adjacency.rows {
            for k in adjacency.rowPointers[src]..<adjacency.rowPointers[src + 1] {
                let w = adjacency.values[k]
                text += w == 1 ? "\(src) \(adjacency.colIndices[k])\n" : "\(src) \(adjacency.colIndices[k]) \(w)\n"
            }
            if text.utf8.count >= MatrixMarketWriter.defaultChunkSize {
                try sink(text)
                text = ""
            }
        }
        if !text.isEmpty { try sink(text) }
    }
}

/// Streams text to a file (created or truncated) or, without a path, to stdout.
enum OutputFile {
    static func write(to path: String?, _ body: ((String) throws -> Void) throws -> Void) throws {
        guard let path else {
            try body { FileHandle.standardOutput.write(Data($0.utf8)) }
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SolverError(.invalidArgument, "cannot write \(path)", field: "file")
        }
        defer { try? handle.close() }
        try body { try handle.write(contentsOf: Data($0.utf8)) }
    }
}
