import Testing
@testable import SolverCore

@Suite struct SumTreeTests {
    /// Changes followed by one batched refresh give exactly the tree a full rebuild gives.
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
            dirty[count] = Int32(i)
            count += 1
        }
        tree.refresh(rows: &dirty, count: count, squaresOf: values)
        var reference = SumTree(count: n)
        reference.rebuild(squaresOf: values)
        #expect(tree.total == reference.total)
        #expect(tree.rows(above: 0.1, limit: n, squaresOf: values) == reference.rows(above: 0.1, limit: n, squaresOf: values))
        #expect(tree.rows(above: 0.1, limit: n, squaresOf: values) == values.indices.filter { values[$0] * values[$0] > 0.1 })
    }

    @Test func searchFindsEveryHeavyRow() {
        let values: [Double] = [0, 3, 0, 0, 0.1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]
        var tree = SumTree(count: values.count)
        tree.rebuild(squaresOf: values)
        #expect(tree.rows(above: 1, limit: 10, squaresOf: values) == [1, 6, 20])
        #expect(tree.rows(above: 1, limit: 2, squaresOf: values) == [1, 6])
    }

    /// A leaf sums a block of rows: the tree is a fraction of the vector.
    @Test func treeIsSmallerThanTheVector() {
        let tree = SumTree(count: 10_000)
        #expect(tree.memoryBytes <= 10_000 * 8 / 2)
        #expect(tree.capacity * SumTree.blockSize >= 10_000)
    }
}
