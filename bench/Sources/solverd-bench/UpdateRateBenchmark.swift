import SolverCore
import SolverTestSupport

/// (e) Single-entry updates on the live state: alternately `setEntry` on a random stored entry (no old-value
/// check) and `addToRightHandSide` on a random row. The update stream (row, column, value) is drawn before timing,
/// as it would arrive from a client (the scipy side pre-draws its indices too). Measured with the residual sum tree
/// current (after `prepareForLocalUpdates`, O(log n) per update) and not current (after a global solve, O(1)).
enum UpdateRateBenchmark {
    static func run(side: Int, shift: Double, updates: Int = 5_000_000, repetitions: Int = 3) throws -> [String: Any] {
        let system = try LiveSystem(matrix: MatrixGenerators.laplacian2D(side: side, shift: shift),
                                    b: [Double](repeating: 1, count: side * side),
                                    x0: MatrixGenerators.randomVector(side * side))
        let n = system.dimension
        var rows = [Int32](repeating: 0, count: updates)
        var cols = [Int32](repeating: -1, count: updates)
        var values = [Double](repeating: 0, count: updates)
        do {
            let rowPointers = system.matrix.rowPointers
            let colIndices = system.matrix.colIndices
            var random = SplitMix64(seed: 11)
            for u in 0..<updates {
                let row = Int(random.next() % UInt64(n))
                rows[u] = Int32(row)
                if u & 1 == 0 {
                    let start = rowPointers[row]
                    let col = colIndices[start + Int(random.next() % UInt64(rowPointers[row + 1] - start))]
                    cols[u] = col
                    values[u] = (Int(col) == row ? 4 + shift : -1) + 1e-3 * random.nextDouble()
                } else {
                    values[u] = 1e-3 * (random.nextDouble() - 0.5)
                }
            }
        }
        func applyUpdates() throws {
            for u in 0..<updates {
                let col = Int(cols[u])
                if col >= 0 {
                    try system.setEntry(row: Int(rows[u]), col: col, to: values[u])
                } else {
                    try system.addToRightHandSide(Int(rows[u]), values[u])
                }
            }
        }
        system.prepareForLocalUpdates()
        let withTree = try Samples.measure(repetitions: repetitions, warmUp: 1, applyUpdates)
        system.recomputeResidual()
        let withoutTree = try Samples.measure(repetitions: repetitions, warmUp: 1, applyUpdates)
        return [
            "n": n, "updates_per_sample": updates, "mix": "alternating setEntry (existing entry) / addToRightHandSide",
            "updates_per_second_tree_current": withTree.rateJSON(count: Double(updates)),
            "updates_per_second_tree_stale": withoutTree.rateJSON(count: Double(updates)),
            "final_relative_residual": system.relativeResidual,
        ]
    }
}
