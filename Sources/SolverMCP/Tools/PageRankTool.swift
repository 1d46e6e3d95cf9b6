import MCP
import SolverCore
import SolverWire

/// `page_rank` (the upstream solver's `pageRank`; `solverd pagerank` on the command line): PageRank of a directed
/// graph given as an adjacency matrix (`A[src][dst]` = weight) or an edge list, solved as the linear system
/// `(I − d Pᵀ) y = v`. In this process. Upstream's `personalized`, `epsilon` and `maxIterations` are accepted.
struct PageRankTool: OfflineTool {
    static let defaultTop = 10
    static let defaultMaxRanks = 1000

    let definition = Tool(
        name: "page_rank",
        title: "PageRank of a graph",
        description: """
            PageRank of a directed graph: give adjacency (a square matrix in any layout, A[src][dst] = edge weight) \
            or edges ([[src, dst] or [src, dst, weight], ...], 0-based nodes). Dangling nodes jump by the \
            personalisation (uniform by default), as networkx does. Solved as (I − d Pᵀ) y = v by method (push by \
            default: work follows the rank mass; jacobi is the power iteration). Returns the top nodes and, for \
            graphs up to max_ranks nodes, every rank.
            """,
        inputSchema: ToolSchemas.object([
            "adjacency": ToolSchemas.sparseMatrix,
            "edges": [
                "type": "array", "items": ["type": "array", "items": ["type": "number"], "minItems": 2, "maxItems": 3],
                "description": "Edges [src, dst] or [src, dst, weight] (weight ≥ 0, default 1).",
            ],
            "nodes": ["type": "integer", "minimum": 1, "description": "Node count for edges (default: largest node + 1)."],
            "damping": ["type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.85],
            "personalized": ToolSchemas.numbers.merging(["description": "Personalisation vector (non-negative, length = nodes)."]),
            "tolerance": ["type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 1e-10,
                          "description": "Relative residual of the linear system (alias: epsilon)."],
            "max_iterations": ["type": "integer", "minimum": 1, "maximum": 10_000_000, "default": 100_000],
            "method": ["enum": .array(ToolSchemas.methods), "default": "push"],
            "top": ["type": "integer", "minimum": 0, "maximum": 100_000, "default": .int(defaultTop)],
            "max_ranks": ["type": "integer", "minimum": 0, "maximum": 1_000_000, "default": .int(defaultMaxRanks),
                          "description": "Return every rank when the graph has at most this many nodes."],
        ]),
        annotations: .init(readOnlyHint: true))

    func compute(_ fields: JSONFields, limits: MatrixLimits) throws -> [UInt8] {
        let damping = try fields.double("damping", default: 0.85, expected: "in [0, 1)") { $0 >= 0 && $0 < 1 }
        let tolerance = try fields.double("tolerance", alias: "epsilon", default: 1e-10, expected: "in (0, 1)") { $0 > 0 && $0 < 1 }
        let maxIterations = try fields.int(fields.contains("maxIterations") ? "maxIterations" : "max_iterations",
                                           in: 1...10_000_000, default: 100_000)
        let kind = try MethodKind.parse(try fields.string("method") ?? MethodKind.push.rawValue, field: "method")
        let top = try fields.int("top", in: 0...100_000, default: Self.defaultTop)
        let maxRanks = try fields.int("max_ranks", in: 0...1_000_000, default: Self.defaultMaxRanks)
        let personalizationKey = fields.contains("personalization") ? "personalization" : "personalized"
        let personalization = try fields.doubles(personalizationKey)
        let adjacency = try Self.graph(fields, limits: limits)
        try PageRank.validate(adjacency: adjacency, damping: damping, personalization: personalization,
                              fields: (fields.contains("edges") ? "edges" : "adjacency", "damping", personalizationKey))
        let result = try PageRank.solve(adjacency: adjacency, damping: damping, personalization: personalization,
                                        kind: kind, tolerance: tolerance, maxIterations: maxIterations)
        return WireEncoder.pageRank(result, damping: damping, top: PageRank.top(result.ranks, top), label: nil,
                                    ranks: result.ranks.count <= maxRanks ? result.ranks : nil)
    }

    /// The adjacency matrix from `adjacency` or `edges` (exactly one of them).
    static func graph(_ fields: JSONFields, limits: MatrixLimits) throws -> CSRMatrix {
        guard let edges = try fields.array("edges") else {
            guard let matrix = try fields.matrix("adjacency", limits: limits) else {
                throw SolverError(.missingField, "give adjacency (a matrix) or edges", field: "adjacency")
            }
            return matrix
        }
        guard !fields.contains("adjacency") else {
            throw SolverError(.invalidArgument, "give adjacency or edges, not both", field: "edges")
        }
        guard !edges.isEmpty, edges.count <= limits.maxNonzeros else {
            throw SolverError(.invalidArgument, "give 1 to \(limits.maxNonzeros) edges", field: "edges")
        }
        let triples = try edges.enumerated().map { k, edge in
            let field = "edges[\(k)]"
            let numbers = try JSONFields.doubles(edge, field: field)
            guard (2...3).contains(numbers.count) else {
                throw SolverError(.invalidArgument, "an edge is [src, dst] or [src, dst, weight], got \(numbers.count) numbers", field: field)
            }
            let src = try JSONFields.integer(numbers[0], field: "\(field)[0]")
            let dst = try JSONFields.integer(numbers[1], field: "\(field)[1]")
            for (node, position) in [(src, 0), (dst, 1)] where node < 0 || node >= limits.maxRows {
                throw SolverError(.indexOutOfRange, "node \(node) is outside 0..<\(limits.maxRows)", field: "\(field)[\(position)]")
            }
            return (src, dst, numbers.count == 3 ? numbers[2] : 1.0, field)
        }
        let largest = triples.map { max($0.0, $0.1) }.max() ?? 0
        let n = try fields.int("nodes", in: 1...limits.maxRows, default: largest + 1)
        var t = COOTriplets(rows: n, cols: n)
        for (src, dst, weight, field) in triples {
            guard src < n, dst < n else {
                throw SolverError(.indexOutOfRange, "node \(max(src, dst)) is outside 0..<\(n) (nodes)", field: field)
            }
            guard weight >= 0, weight.isFinite else {
                throw SolverError(.invalidArgument, "the weight must be non-negative, got \(weight)", field: "\(field)[2]")
            }
            t.append(row: src, col: dst, value: weight)
        }
        return t.toCSR()
    }
}
