/// A complete binary tree of sums over the squares `r_i²` of a vector, so that the total is read in O(1) and one
/// entry changes in O(log n) without the cancellation a running `+= new − old` suffers when the sum shrinks by many
/// orders of magnitude (every node is recomputed from its children).
///
/// A leaf sums a block of `blockSize` consecutive squares, recomputed from the vector itself (one cache line), so
/// the tree holds a quarter to a half of a vector instead of two to four: the vector is the bottom level.
///
/// Layout: `nodes[1]` is the root, node `p` has children `2p` and `2p+1`, the leaf of block `b` sits at
/// `capacity + b`. The caller passes the same vector (of `count` entries) to every call.
struct SumTree {
    static let blockShift = 3
    static let blockSize = 1 << blockShift
    /// Entries of the vector.
    let count: Int
    /// Leaves (a power of two ≥ the number of blocks).
    private(set) var capacity: Int
    private var nodes: [Double]

    init(count: Int) {
        self.count = count
        let blocks = (count + Self.blockSize - 1) >> Self.blockShift
        var capacity = 1
        while capacity < max(blocks, 1) { capacity <<= 1 }
        self.capacity = capacity
        self.nodes = [Double](repeating: 0, count: 2 * capacity)
    }

    var total: Double { nodes[1] }

    var memoryBytes: Int { MemoryAccounting.bytes(nodes) }

    /// Σ v_i² over block `block`, always summed in the same order (a refresh equals a rebuild exactly).
    /// Invariant: `block * blockSize < v.count`.
    @inline(__always)
    private static func blockSum(_ block: Int, _ v: UnsafeBufferPointer<Double>) -> Double {
        let start = block << blockShift
        var sum = 0.0
        for i in start..<min(start + blockSize, v.count) { sum += v[i] * v[i] }
        return sum
    }

    /// Rebuilds every node from the squares of `values`. O(n).
    mutating func rebuild(squaresOf values: [Double]) {
        precondition(values.count == count)
        let blocks = (count + Self.blockSize - 1) >> Self.blockShift
        let capacity = self.capacity
        nodes.withUnsafeMutableBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                for b in 0..<blocks { t[capacity + b] = Self.blockSum(b, v) }
                for b in blocks..<capacity { t[capacity + b] = 0 }
                var p = capacity - 1
                while p >= 1 {
                    t[p] = t[2 * p] + t[2 * p + 1]
                    p -= 1
                }
            }
        }
    }

    /// Indices `i` with `v_i² > threshold`, descending only into subtrees whose sum exceeds it (a subtree's sum
    /// bounds each of its squares). Stops after `limit` hits or `limit · 64` visited nodes, so a residual spread
    /// thinly over many rows cannot turn one search into an O(n) walk.
    func rows(above threshold: Double, limit: Int, squaresOf values: [Double]) -> [Int] {
        precondition(values.count == count)
        var found: [Int] = []
        var stack = [1]
        var visits = 0
        let maxVisits = limit &* 64
        while let p = stack.popLast(), found.count < limit, visits < maxVisits {
            visits += 1
            guard nodes[p] > threshold else { continue }
            if p >= capacity {
                let start = (p - capacity) << Self.blockShift
                for i in start..<min(start + Self.blockSize, count) where values[i] * values[i] > threshold {
                    if found.count < limit { found.append(i) }
                }
            } else {
                stack.append(2 * p + 1)
                stack.append(2 * p)
            }
        }
        return found
    }

    /// Recomputes the leaves of the blocks holding `rows[..<count]` (indices < `count`, any order, duplicates
    /// allowed) from `values`, then every ancestor once per node: the list is mapped to leaves, sorted and
    /// deduplicated, then mapped up one level at a time, where neighbouring leaves share parents. O(k log k) for k
    /// rows instead of k · log n for refreshing each path separately. `rows` is used as scratch.
    mutating func refresh(rows: inout [Int32], count listed: Int, squaresOf values: [Double]) {
        guard listed > 0 else { return }
        precondition(values.count == count && listed <= rows.count)
        let capacity = self.capacity
        nodes.withUnsafeMutableBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                rows.withUnsafeMutableBufferPointer { list in
                    // Invariant: every listed row is < count, so its block is < capacity and each node index visited
                    // stays in 1..<2*capacity.
                    for k in 0..<listed { list[k] = list[k] >> Int32(Self.blockShift) }
                    list[..<listed].sort()
                    var unique = 0
                    for k in 0..<listed where unique == 0 || list[k] != list[unique - 1] {
                        list[unique] = list[k]
                        unique += 1
                    }
                    var level = [Int](repeating: 0, count: unique)
                    for k in 0..<unique {
                        let block = Int(list[k])
                        t[capacity + block] = Self.blockSum(block, v)
                        level[k] = (capacity + block) >> 1
                    }
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
    }
}
