import Testing
@testable import SolverCore

@Suite struct SumTreeTests {
    /// Leaf writes followed by one batched refresh give exactly the tree a full rebuild gives.
    @Test(arguments: [1, 2, 7, 64, 1000])
    func batchedRefreshEqualsRebuild(_ n: Int) {
        var rng = SplitMix64(seed: UInt64(n))
        var values = (0..<n).map { _ in rng.nextDouble() }
        var tree = SumTree(count: n)
        tree.rebuild(squaresOf: values)
        var dirty = [Int32](repeating: 0, count: 4 * n)
        var count = 0
        for _ in 0..<(2 * n) {
            let i = Int(rng.next() % UInt64(n))
            values[i] = rng.nextDouble() - 0.5
            tree.setLeafOnly(i, values[i] * values[i])
            dirty[count] = Int32(i)
            count += 1
        }
        tree.refreshAncestors(ofLeaves: &dirty, count: count)
        var reference = SumTree(count: n)
        reference.rebuild(squaresOf: values)
        #expect(tree.total == reference.total)
        #expect(tree.leaves(above: 0.1, limit: n) == reference.leaves(above: 0.1, limit: n))
    }

    @Test func leafSearchFindsEveryHeavyLeaf() {
        var tree = SumTree(count: 10)
        tree.rebuild(squaresOf: [0, 3, 0, 0, 0.1, 0, 2, 0, 0, 0])
        #expect(Set(tree.leaves(above: 1, limit: 10)) == [1, 6])
    }
}
