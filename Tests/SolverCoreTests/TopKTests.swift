import SolverCore
import Testing

/// The selection behind a frame's `x_partial`: the `capacity` highest scores, largest first.
@Suite struct TopKTests {
    /// The reference: every offer sorted by score, largest first, cut to `capacity`.
    private func expected(_ offers: [(Int, Double)], capacity: Int) -> [Double] {
        Array(offers.map(\.1).sorted(by: >).prefix(capacity))
    }

    @Test(arguments: [0, 1, 2, 7, 64, 500])
    func keepsTheHighestScoresLargestFirst(capacity: Int) {
        var random = SystemRandomNumberGenerator()
        for n in [0, 1, 5, 63, 64, 65, 2_500] {
            // A smooth bump (as after a direct solve: many entries enter while the heap fills) plus noise.
            let offers = (0..<n).map { i in (i, 1 / (1 + Double((i - n / 3) * (i - n / 3))) + Double.random(in: 0..<1e-3, using: &random)) }
            var top = TopK(capacity: capacity)
            for (index, score) in offers { top.offer(index, score) }
            let indices = top.indicesByDecreasingScore()
            #expect(indices.count == min(capacity, n))
            #expect(Set(indices).count == indices.count)
            let scores = Dictionary(uniqueKeysWithValues: offers)
            #expect(indices.map { scores[$0]! } == expected(offers, capacity: capacity))
        }
    }

    @Test func aScoreEqualToTheMinimumDoesNotDisplaceIt() {
        var top = TopK(capacity: 2)
        top.offer(1, 5)
        top.offer(2, 3)
        top.offer(3, 3)
        #expect(top.indicesByDecreasingScore() == [1, 2])
        top.offer(4, 4)
        #expect(top.indicesByDecreasingScore() == [1, 4])
    }
}
