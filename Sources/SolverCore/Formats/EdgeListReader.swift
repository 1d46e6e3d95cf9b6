/// A directed graph with named nodes, as read from an edge list: `adjacency[src][dst]` is the edge weight and
/// `labels[i]` the name node `i` had in the file.
public struct LabeledGraph: Sendable {
    public var labels: [String]
    public var adjacency: CSRMatrix

    public init(labels: [String], adjacency: CSRMatrix) {
        self.labels = labels
        self.adjacency = adjacency
    }
}

/// Reads an edge list — one edge per line, `src dst [weight]`, separated by white space — as networkx's
/// `read_edgelist` does: nodes are any tokens, numbered in order of first appearance; the weight defaults to 1;
/// `#` starts a comment (whole lines or the rest of a line), and `%` comment lines are skipped too. Repeated edges
/// add their weights. A push parser like `MatrixMarketReader`: feed chunks cut anywhere, then `finish()`.
/// Malformed lines are `parse_error`s naming the line; more nodes or edges than `limits` allow are `too_large`.
public struct EdgeListReader: ByteChunkConsumer, LineParser, Sendable {
    public let limits: MatrixLimits
    var lines = LineAssembler()
    var failure: SolverError?
    private var tokens: [Range<Int>] = []
    private var numbers: [String: Int] = [:]
    private var labels: [String] = []
    private var sources: [Int32] = []
    private var targets: [Int32] = []
    private var weights: [Double] = []

    public init(limits: MatrixLimits = MatrixLimits()) {
        self.limits = limits
    }

    public mutating func feed(bytes: ArraySlice<UInt8>) throws {
        try feedLines(bytes)
    }

    public mutating func finish() throws -> LabeledGraph {
        try finishLines()
        guard !weights.isEmpty else {
            throw SolverError(.empty, "the input holds no edges", field: "line \(max(lines.lineNumber, 1))")
        }
        var t = COOTriplets(rows: labels.count, cols: labels.count)
        t.reserve(weights.count)
        for k in weights.indices { t.append(row: Int(sources[k]), col: Int(targets[k]), value: weights[k]) }
        return LabeledGraph(labels: labels, adjacency: t.toCSR())
    }

    mutating func read(_ whole: ArraySlice<UInt8>) throws {
        let line = whole.firstIndex(of: UInt8(ascii: "#")).map { whole[whole.startIndex..<$0] } ?? whole
        if ASCIIText.isBlankOrComment(line) { return }
        let number = lines.lineNumber
        ASCIIText.tokenize(line, into: &tokens, limit: 3)
        guard (2...3).contains(tokens.count) else {
            throw SolverError.parseError(line: number, "expected 'source target [weight]', found "
                + (tokens.count > 3 ? "more than 3 fields" : "\(tokens.count) field"))
        }
        var weight = 1.0
        if tokens.count == 3 {
            let token = line[tokens[2]]
            guard let w = ASCIIText.parseDouble(token), w.isFinite, w >= 0 else {
                throw SolverError.parseError(line: number, "the weight must be a non-negative number, found \(ASCIIText.quoted(token))")
            }
            weight = w
        }
        guard weights.count < limits.maxNonzeros else {
            throw SolverError.tooLarge("more than \(limits.maxNonzeros) edges", field: "line \(number)")
        }
        let source = try node(line[tokens[0]], line: number)
        let target = try node(line[tokens[1]], line: number)
        sources.append(Int32(source))
        targets.append(Int32(target))
        weights.append(weight)
    }

    /// The number of the node named `token`, numbering it when new.
    private mutating func node(_ token: ArraySlice<UInt8>, line: Int) throws -> Int {
        let label = String(decoding: token, as: UTF8.self)
        if let known = numbers[label] { return known }
        guard labels.count < limits.dimensionCap else {
            throw SolverError.tooLarge("more than \(limits.dimensionCap) nodes", field: "line \(line)")
        }
        numbers[label] = labels.count
        labels.append(label)
        return labels.count - 1
    }
}
