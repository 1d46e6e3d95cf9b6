import Testing
@testable import SolverCore
import SolverTestSupport

@Suite struct CSRMatrixTests {
    @Test func sortsRowsAndFindsEntries() throws {
        let a = try CSRMatrix(rows: 2, cols: 3, rowPointers: [0, 2, 3], colIndices: [2, 0, 1], values: [5, 4, 7])
        #expect(a.colIndices == [0, 2, 1])
        #expect(a[0, 2] == 5)
        #expect(a[0, 1] == 0)
        #expect(a.position(row: 1, col: 1) == 2)
    }

    @Test func rejectsRepeatedColumnInARow() {
        #expect(throws: SolverError.self) {
            try CSRMatrix(rows: 1, cols: 2, rowPointers: [0, 2], colIndices: [1, 1], values: [1, 2])
        }
    }

    /// Row pointers take 4 bytes a row and read as `Int`; entry counts are capped where 32-bit positions end.
    @Test func rowPointersAreThirtyTwoBit() throws {
        let a = try CSRMatrix(rows: 2, cols: 3, rowPointers: [0, 2, 3], colIndices: [2, 0, 1], values: [5, 4, 7])
        #expect(a.rowPointers == [0, 2, 3] && Array(a.rowPointers) == [0, 2, 3] && a.rowPointers[2] == 3)
        let large = MatrixGenerators.laplacian2D(side: 30)
        #expect(large.rowPointers.memoryBytes >= (large.rows + 1) * 4 && large.rowPointers.memoryBytes < (large.rows + 1) * 8)
        #expect(MatrixLimits(maxNonzeros: .max).nonzeroCap == CSRMatrix.maxNonzeros)
        #expect(a.transposed().rowPointers == [0, 1, 2, 3])
    }
}
