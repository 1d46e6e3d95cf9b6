import SolverCore

/// How reports of several nodes for one entry of `b` combine (`flow_nexus.cost_aggregation`, docs/design.md §7.1).
public enum CostAggregation: String, Sendable, CaseIterable {
    /// Σ confidence·value / Σ confidence over the nodes' latest reports.
    case weightedAverage = "weighted_average"
    /// Σ value: each node reports its share of the cost.
    case sum
    /// The most recent report wins.
    case latest
    case mean, max, min
}

/// The latest report of every node for every reported entry of `b`, and their combination. Lives on the session's
/// queue; reports are ingested in seq order (live and on replay alike), so a restored session combines exactly as
/// the one it replaces. Bounded: at most `maxNodesPerEntry` nodes per entry, the least recent dropped first, and at
/// most `limit(dimension:)` contributions in all — a report that would add more is refused, so a client naming
/// ever new node ids cannot grow a session without bound.
struct CostAggregator: Equatable {
    struct Contribution: Equatable {
        var node: String
        var value: Double
        var confidence: Double
        /// Ingestion order: the most recent contribution has the largest.
        var order: UInt64
    }

    static let maxNodesPerEntry = 64
    private(set) var entries: [Int: [Contribution]] = [:]
    private(set) var nextOrder: UInt64 = 0
    /// Contributions held, over all entries.
    private(set) var contributionCount = 0

    /// Contributions a session of dimension `n` keeps at most (about 48 bytes each).
    static func limit(dimension n: Int) -> Int { max(65_536, 2 * n) }

    /// Whether ingesting `report` would hold more than `limit` contributions (it replaces a node's own earlier
    /// values and evicts on full entries, so only new (entry, node) pairs on entries with room count).
    func wouldExceed(_ report: CostReport, limit: Int) -> Bool {
        guard contributionCount + report.indices.count > limit else { return false }
        var added = Set<Int>()
        for index in report.indices where !added.contains(index) {
            let list = entries[index] ?? []
            if list.count < Self.maxNodesPerEntry, !list.contains(where: { $0.node == report.nodeID }) { added.insert(index) }
        }
        return contributionCount + added.count > limit
    }

    /// Approximate bytes held.
    var memoryBytes: Int { contributionCount * 48 + entries.count * 64 }

    /// One combined entry: the value that replaces `b[index]` and how many nodes' reports it combines.
    struct Combined: Equatable {
        var index: Int
        var value: Double
        var nodes: Int
    }

    /// Records `report` and returns the combined value of each entry it names (once per entry, in first-mention
    /// order; a repeated index in one report counts its last value).
    mutating func ingest(_ report: CostReport, as mode: CostAggregation) -> [Combined] {
        var order: [Int] = [], named = Set<Int>()
        for (index, value) in zip(report.indices, report.values) {
            var list = entries[index] ?? []
            if named.insert(index).inserted { order.append(index) }
            let contribution = Contribution(node: report.nodeID, value: value, confidence: report.confidence, order: nextOrder)
            nextOrder += 1
            if let k = list.firstIndex(where: { $0.node == report.nodeID }) {
                list[k] = contribution
            } else {
                if list.count >= Self.maxNodesPerEntry, let oldest = list.indices.min(by: { list[$0].order < list[$1].order }) {
                    list.remove(at: oldest)
                    contributionCount -= 1
                }
                list.append(contribution)
                contributionCount += 1
            }
            entries[index] = list
        }
        return order.map { index in
            let list = entries[index] ?? []
            return Combined(index: index, value: Self.combine(list, mode), nodes: list.count)
        }
    }

    /// Combines in list order (stable across snapshot and replay, so every owner computes the same bits).
    static func combine(_ list: [Contribution], _ mode: CostAggregation) -> Double {
        switch mode {
        case .weightedAverage:
            var weighted = 0.0, weights = 0.0
            for c in list {
                weighted += c.confidence * c.value
                weights += c.confidence
            }
            return weights > 0 ? weighted / weights : 0
        case .sum: return list.reduce(0) { $0 + $1.value }
        case .latest: return list.max { $0.order < $1.order }?.value ?? 0
        case .mean: return list.isEmpty ? 0 : list.reduce(0) { $0 + $1.value } / Double(list.count)
        case .max: return list.map(\.value).max() ?? 0
        case .min: return list.map(\.value).min() ?? 0
        }
    }

    // MARK: Snapshot form

    func encode(into w: inout SnapshotWriter) {
        w.write(nextOrder)
        w.write(UInt64(entries.count))
        for index in entries.keys.sorted() {
            let list = entries[index] ?? []
            w.write(Int64(index))
            w.write(UInt64(list.count))
            for c in list {
                w.write(c.node)
                w.write(c.value)
                w.write(c.confidence)
                w.write(c.order)
            }
        }
    }

    static func decode(from r: inout SnapshotReader, dimension: Int) throws -> CostAggregator {
        var aggregator = CostAggregator()
        aggregator.nextOrder = try r.read()
        let count = try r.read(UInt64.self)
        guard count <= UInt64(dimension) else { throw SolverError(.invalidSnapshot, "cost report table is corrupt", field: "snapshot") }
        for _ in 0..<count {
            let index = Int(try r.read(Int64.self))
            let nodes = try r.read(UInt64.self)
            guard index >= 0, index < dimension, nodes <= UInt64(maxNodesPerEntry) else {
                throw SolverError(.invalidSnapshot, "cost report table is corrupt", field: "snapshot")
            }
            aggregator.entries[index] = try (0..<nodes).map { _ in
                Contribution(node: try r.readString(), value: try r.readDouble(), confidence: try r.readDouble(), order: try r.read())
            }
            aggregator.contributionCount += Int(nodes)
        }
        return aggregator
    }
}
