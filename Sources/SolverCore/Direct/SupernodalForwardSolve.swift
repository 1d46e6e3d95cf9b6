import CSuiteSparse

/// A forward solve `L y = P b` for a right-hand side with few nonzeros on a CHOLMOD supernodal `LLᵀ` factor,
/// touching only the supernodes on the elimination-tree paths from those entries to the root (the reach), then
/// CHOLMOD's own backward solve `Lᵀ z = y` and `x = Pᵀ z`. The backward half stays dense (x changes everywhere), so
/// a change of a few entries of `b` costs about half a full solve plus its reach.
///
/// Invariant of the unsafe code: the factor's arrays are read only while the owning `CholmodFactorization` holds a
/// numeric supernodal factor of the analysis these maps were built from (rebuilt per analysis, never shared).
struct SupernodalForwardSolve {
    /// `superOf[k]`: the supernode holding (permuted) column k.
    private let superOf: [Int32]
    /// `parent[s]`: the supernode of the first row below supernode s's diagonal block, -1 at a root.
    private let parent: [Int32]
    /// `position[i]`: where original row i lands in `P b`.
    private let position: [Int32]
    /// Entries of each supernode's block (rows × columns), to cost a reach before walking it.
    private let blockEntries: [Int]
    let totalEntries: Int

    init?(_ factor: UnsafeMutablePointer<cholmod_factor>) {
        let l = factor.pointee
        guard l.is_super != 0, l.is_ll != 0, l.itype == CHOLMOD_INT else { return nil }
        let n = Int(l.n), nsuper = Int(l.nsuper)
        let first = l.super.assumingMemoryBound(to: Int32.self)
        let pi = l.pi.assumingMemoryBound(to: Int32.self)
        let s = l.s.assumingMemoryBound(to: Int32.self)
        let perm = l.Perm.assumingMemoryBound(to: Int32.self)
        var superOf = [Int32](repeating: 0, count: n)
        var blockEntries = [Int](repeating: 0, count: nsuper)
        for k in 0..<nsuper {
            let (k1, k2) = (Int(first[k]), Int(first[k + 1]))
            for j in k1..<k2 { superOf[j] = Int32(k) }
            blockEntries[k] = (k2 - k1) * Int(pi[k + 1] - pi[k])
        }
        var parent = [Int32](repeating: -1, count: nsuper)
        for k in 0..<nsuper {
            let nscol = Int(first[k + 1] - first[k])
            let rows = Int(pi[k + 1] - pi[k])
            if rows > nscol { parent[k] = superOf[Int(s[Int(pi[k]) + nscol])] }
        }
        var position = [Int32](repeating: 0, count: n)
        for k in 0..<n { position[Int(perm[k])] = Int32(k) }
        self.superOf = superOf
        self.parent = parent
        self.position = position
        self.blockEntries = blockEntries
        self.totalEntries = blockEntries.reduce(0, +)
    }

    /// The supernodes reachable from `rows` (original numbering), in ascending (topological) order, and their
    /// entries; nil once the reach passes `entryLimit`.
    func reach(of rows: [Int], entryLimit: Int) -> [Int32]? {
        var marked = Set<Int32>()
        var entries = 0
        for row in rows {
            var node = superOf[Int(position[row])]
            while node >= 0, marked.insert(node).inserted {
                entries += blockEntries[Int(node)]
                if entries > entryLimit { return nil }
                node = parent[Int(node)]
            }
        }
        return marked.sorted()
    }

    /// `y = L⁻¹ P b` for `b` holding `values` at `rows`; `y` has n zeros on entry. Walks the reach only.
    func forward(rows: [Int], values: [Double], reach: [Int32], factor: UnsafeMutablePointer<cholmod_factor>,
                 into y: UnsafeMutableBufferPointer<Double>) {
        let l = factor.pointee
        let first = l.super.assumingMemoryBound(to: Int32.self)
        let pi = l.pi.assumingMemoryBound(to: Int32.self)
        let px = l.px.assumingMemoryBound(to: Int32.self)
        let s = l.s.assumingMemoryBound(to: Int32.self)
        let x = l.x.assumingMemoryBound(to: Double.self)
        for (row, value) in zip(rows, values) { y[Int(position[row])] += value }
        for node in reach {
            let k = Int(node)
            let k1 = Int(first[k]), nscol = Int(first[k + 1]) - k1
            let psi = Int(pi[k]), nsrow = Int(pi[k + 1]) - psi
            let block = x + Int(px[k])  // column-major nsrow × nscol, leading dimension nsrow
            for j in 0..<nscol {
                let column = block + j * nsrow
                let yj = y[k1 + j] / column[j]
                y[k1 + j] = yj
                guard yj != 0 else { continue }
                for i in (j + 1)..<nscol { y[k1 + i] -= column[i] * yj }
                for i in nscol..<nsrow { y[Int(s[psi + i])] -= column[i] * yj }
            }
        }
    }
}
