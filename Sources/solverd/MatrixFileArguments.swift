import ArgumentParser
import SolverCore

/// The system an offline command works on: a Matrix Market file for A and an optional right-hand side.
struct MatrixFileArguments: ParsableArguments {
    @Argument(help: "Matrix Market file with A (coordinate real/integer/pattern; general/symmetric/skew-symmetric).")
    var matrixFile: String

    @Option(name: .long, help: "Right-hand side b: a Matrix Market vector or whitespace-separated numbers (default: all ones).")
    var rhs: String?

    /// Reads A and b (ones when no `--rhs`), streaming both files.
    func load() throws -> (matrix: CSRMatrix, b: [Double]) {
        let matrix = try MatrixFiles.readMatrix(matrixFile)
        let b = try rhs.map { try MatrixFiles.readVector($0) } ?? [Double](repeating: 1, count: matrix.rows)
        return (matrix, b)
    }
}
