import ArgumentParser
import Foundation
import SolverCore
import SolverSession
import SolverWire

/// `solverd pagerank GRAPH`: PageRank of a directed graph given as an edge list (`src dst [weight]` lines, `#`
/// comments, nodes named by any token) or a Matrix Market adjacency matrix (`A[src][dst]` = weight, nodes 0-based),
/// solved as the linear system `(I − d Pᵀ) y = 1/n` (see `PageRank`). Prints `node rank` lines, highest first.
struct PageRankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pagerank",
        abstract: "PageRank of a graph (edge list or Matrix Market adjacency): 'node rank' lines, highest first."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case auto, edges, mtx
    }

    @Argument(help: "The graph: an edge list or a Matrix Market adjacency matrix.")
    var graphFile: String

    @Option(name: .long, help: "auto (a %%MatrixMarket banner means mtx) | edges | mtx.")
    var format: Format = .auto

    @Option(name: .long, help: "Print only the K highest-ranked nodes.")
    var top: Int?

    @Option(name: .long, help: "Damping factor d in [0, 1).")
    var damping: Double = 0.85

    @Option(name: .long, help: "Relative residual of the linear system: ‖v − (I − d Pᵀ) y‖₂ ≤ tolerance · ‖v‖₂.")
    var tolerance: Double = 1e-10

    @Option(name: .long, help: "push (default) | jacobi (the power iteration) | gauss_seidel | bicgstab | gmres | lu | hybrid | ….")
    var method: String = "push"

    @Option(name: .customLong("max-iterations"), help: "Iteration limit.")
    var maxIterations: Int = 100_000

    @Flag(name: .long, help: "Print one JSON object (the page_rank tool's result) instead of lines.")
    var json = false

    func validate() throws {
        if let top, top < 0 { throw ValidationError("--top must not be negative") }
        guard damping >= 0, damping < 1 else { throw ValidationError("--damping must be in [0, 1)") }
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1)") }
        guard maxIterations > 0 else { throw ValidationError("--max-iterations must be positive") }
    }

    func run() throws {
        var converged = true
        try CommandErrors.reporting("pagerank") {
            let kind = try MethodKind.parse(method, field: "--method")
            let graph = try Self.read(graphFile, format: format)
            let result = try PageRank.solve(adjacency: graph.adjacency, damping: damping, kind: kind,
                                            tolerance: tolerance, maxIterations: maxIterations, loop: ConcurrentLoop())
            let shown = PageRank.top(result.ranks, top ?? result.ranks.count)
            let label = { (i: Int) in graph.labels[i] }
            if json {
                print(String(decoding: WireEncoder.pageRank(result, damping: damping, top: shown, label: label, ranks: nil), as: UTF8.self))
            } else {
                var text = ""
                for (node, rank) in shown { text += "\(label(node)) \(rank)\n" }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            let report = result.report
            FileHandle.standardError.write(Data(("solverd pagerank: \(result.ranks.count) nodes, \(result.edges) edges, "
                + "\(result.danglingNodes) dangling; \(report.methodName) \(report.status.rawValue) after \(report.iterations) "
                + "iterations, relative residual \(report.relativeResidual)\n").utf8))
            converged = report.status == .converged
        }
        if !converged { throw ExitCode(1) }
    }

    /// The graph with its node names (Matrix Market nodes are named by their 0-based number).
    static func read(_ path: String, format: Format) throws -> LabeledGraph {
        var resolved = format
        if format == .auto {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw SolverError(.invalidArgument, "cannot open \(path)", field: "file")
            }
            let head = (try? handle.read(upToCount: 14)) ?? Data()
            try? handle.close()
            resolved = String(decoding: head, as: UTF8.self).lowercased() == "%%matrixmarket" ? .mtx : .edges
        }
        if resolved == .mtx {
            let adjacency = try MatrixFiles.readMatrix(path)
            return LabeledGraph(labels: (0..<adjacency.rows).map(String.init), adjacency: adjacency)
        }
        var reader = EdgeListReader()
        try MatrixFiles.feed(path, into: &reader)
        return try reader.finish()
    }
}
