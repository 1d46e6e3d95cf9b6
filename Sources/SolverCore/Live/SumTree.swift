/// A complete binary tree of sums over `n` non-negative leaves (here the squares `r_i²`), so that the total is
/// read in O(1) and one leaf changes in O(log n) without the cancellation a running `+= new − old` suffers when
/// the sum shrinks by many orders of magnitude (every inner node is recomputed from its children).
///
/// Layout: `nodes[1]` is the root, node `p` has children `2p` and `2p+1`, leaves sit at `capacity + i`.
struct SumTree {
    private(set) var capacity: Int
    private var nodes: [Double]

    init(count: Int) {
        var capacity = 1
        while capacity < max(count, 1) { capacity <<= 1 }
        self.capacity = capacity
        self.nodes = [Double](repeating: 0, count: 2 * capacity)
    }

    var total: Double { nodes[1] }

    func leaf(_ i: Int) -> Double { nodes[capacity + i] }

    /// Sets one leaf and refreshes its ancestors.
    mutating func set(_ i: Int, _ value: Double) {
        nodes.withUnsafeMutableBufferPointer { t in
            // Invariant: 0 <= i < capacity, so every index visited is in 1..<2*capacity.
            var p = capacity + i
            t[p] = value
            p >>= 1
            while p >= 1 {
                t[p] = t[2 * p] + t[2 * p + 1]
                p >>= 1
            }
        }
    }

    /// Rebuilds every node from the squares of `values`. O(n).
    mutating func rebuild(squaresOf values: [Double]) {
        precondition(values.count <= capacity)
        nodes.withUnsafeMutableBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count { t[capacity + i] = v[i] * v[i] }
                for i in v.count..<capacity { t[capacity + i] = 0 }
                var p = capacity - 1
                while p >= 1 {
                    t[p] = t[2 * p] + t[2 * p + 1]
                    p -= 1
                }
            }
        }
    }

    /// Indices of leaves whose value exceeds `threshold`, descending only into subtrees whose sum exceeds it
    /// (a subtree's sum bounds each of its leaves). Stops after `limit` hits or `limit · 64` visited nodes, so a
    /// residual spread thinly over many rows cannot turn one search into an O(n) walk.
    func leaves(above threshold: Double, limit: Int) -> [Int] {
        var found: [Int] = []
        var stack = [1]
        var visits = 0
        let maxVisits = limit &* 64
        while let p = stack.popLast(), found.count < limit, visits < maxVisits {
            visits += 1
            guard nodes[p] > threshold else { continue }
            if p >= capacity {
                found.append(p - capacity)
            } else {
                stack.append(2 * p + 1)
                stack.append(2 * p)
            }
        }
        return found
    }

    /// Sets a leaf without refreshing its ancestors; the caller records it and calls `refreshAncestors` before the
    /// tree is read again.
    mutating func setLeafOnly(_ i: Int, _ value: Double) {
        nodes[capacity + i] = value
    }

    /// Sets the leaves of `rows` (row indices, each < capacity) to the squares of their `values` and refreshes their
    /// ancestors; `rows[..<count]` is left sorted.
    mutating func refresh(rows: inout [Int32], count: Int, squaresOf values: [Double]) {
        guard count > 0 else { return }
        let capacity = self.capacity
        nodes.withUnsafeMutableBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                // Invariant: every listed row is < values.count <= capacity, so each leaf index is in the tree.
                for k in 0..<count {
                    let i = Int(rows[k])
                    t[capacity + i] = v[i] * v[i]
                }
            }
        }
        refreshAncestors(ofLeaves: &rows, count: count)
    }

    /// Recomputes every ancestor of `leaves` (leaf indices, any order, duplicates allowed) once per node: the list
    /// is sorted and deduplicated, then mapped up one level at a time, where neighbouring leaves share parents.
    /// O(k log k) for k leaves instead of k · log n for refreshing each path separately.
    mutating func refreshAncestors(ofLeaves leaves: inout [Int32], count: Int) {
        guard count > 0 else { return }
        leaves[..<count].sort()
        let capacity = self.capacity
        nodes.withUnsafeMutableBufferPointer { t in
            leaves.withUnsafeMutableBufferPointer { list in
                // Invariant: every entry is a leaf index < capacity, so each node index stays in 1..<2*capacity.
                var unique = 0
                for k in 0..<count where unique == 0 || list[k] != list[unique - 1] {
                    list[unique] = list[k]
                    unique += 1
                }
                var level: [Int] = (0..<unique).map { (capacity + Int(list[$0])) >> 1 }
                // Each pass recomputes the distinct nodes of one level (sorted, so duplicates are adjacent) and
                // writes their parents, in place, as the next level.
                while let first = level.first, first >= 1 {
                    var distinct = 0
                    var previous = 0
                    for k in 0..<level.count where level[k] != previous {
                        let p = level[k]
                        previous = p
                        t[p] = t[2 * p] + t[2 * p + 1]
                        level[distinct] = p >> 1
                        distinct += 1
                    }
                    level.removeLast(level.count - distinct)
                }
            }
        }
    }

    /// Hands the node storage to `body` for a batch of leaf updates without per-call overhead; see `set`.
    mutating func withNodes<R>(_ body: (UnsafeMutablePointer<Double>, Int) -> R) -> R {
        let capacity = self.capacity
        return nodes.withUnsafeMutableBufferPointer { body($0.baseAddress!, capacity) }
    }
}
