import Testing
@testable import SolverCore
import SolverTestSupport

/// `MatrixInput.decode`: every layout gives the same CSR, and every validation error carries its code and field.
@Suite struct MatrixInputTests {
    typealias Arrays = MatrixInput.Arrays

    /// A named input, so parameterised test output says which layout or error case ran.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let input: MatrixInput
        var limits = MatrixLimits()
        var code: SolverError.Code = .invalidMatrix
        var field: String = ""
        var testDescription: String { name }
    }

    // The example system (docs/design.md §9.1), tridiag(-1, 2, -1), in every layout.
    static let tridiagonalValues: [Double] = [2, -1, -1, 2, -1, -1, 2]

    static let layouts: [Case] = [
        Case(name: "CSR", input: MatrixInput(rows: 3, cols: 3, nnz: 7, format: "csr", data: Arrays(
            rowPointers: [0, 2, 5, 7], colIndices: [0, 1, 0, 1, 2, 1, 2], values: tridiagonalValues))),
        Case(name: "CSR without sizes, unsorted rows", input: MatrixInput(data: Arrays(
            rowPointers: [0, 2, 5, 7], colIndices: [1, 0, 2, 1, 0, 2, 1], values: [-1, 2, -1, 2, -1, 2, -1]))),
        Case(name: "CSC labelled csr", input: MatrixInput(rows: 3, cols: 3, format: "csr", data: Arrays(
            colPointers: [0, 2, 5, 7], rowIndices: [0, 1, 0, 1, 2, 1, 2], values: tridiagonalValues))),
        Case(name: "COO rows/cols", input: MatrixInput(format: "coo", data: Arrays(
            rows: [2, 0, 1, 1, 0, 2, 1], cols: [2, 0, 2, 0, 1, 1, 1], values: [2, 2, -1, -1, -1, -1, 2]))),
        Case(name: "COO with split duplicates", input: MatrixInput(rows: 3, cols: 3, data: Arrays(
            rows: [0, 0, 1, 1, 1, 2, 2, 0, 1], cols: [0, 1, 0, 1, 2, 1, 2, 0, 1],
            values: [1, -1, -1, 0.5, -1, -1, 2, 1, 1.5]))),
        Case(name: "COO row_indices/col_indices", input: MatrixInput(data: Arrays(
            rowIndices: [0, 0, 1, 1, 1, 2, 2], colIndices: [0, 1, 0, 1, 2, 1, 2], values: tridiagonalValues))),
        Case(name: "dense", input: MatrixInput(rows: 3, cols: 3, nnz: 7, format: "dense", data: Arrays(
            dense: [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]))),
    ]

    @Test(arguments: layouts)
    func everyLayoutDecodesToThePlanExample(_ c: Case) throws {
        let m = try c.input.decode()
        #expect(m == MatrixGenerators.planExample())
        try m.checkInvariants()
    }

    @Test func largerMatrixAgreesAcrossLayouts() throws {
        let a = MatrixGenerators.randomDiagonallyDominant(n: 40, perRow: 5, seed: 7)
        let t = a.transposed()
        var rows: [Int] = [], cols: [Int] = []
        var dense = [[Double]](repeating: [Double](repeating: 0, count: a.cols), count: a.rows)
        for i in 0..<a.rows {
            for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
                rows.append(i)
                cols.append(Int(a.colIndices[k]))
                dense[i][Int(a.colIndices[k])] = a.values[k]
            }
        }
        let inputs: [Arrays] = [
            Arrays(rowPointers: Array(a.rowPointers), colIndices: a.colIndices.map(Int.init), values: a.values),
            Arrays(colPointers: Array(t.rowPointers), rowIndices: t.colIndices.map(Int.init), values: t.values),
            Arrays(rows: rows.reversed(), cols: cols.reversed(), values: a.values.reversed()),
            Arrays(dense: dense),
        ]
        for data in inputs {
            #expect(try MatrixInput(rows: a.rows, cols: a.cols, data: data).decode() == a)
        }
    }

    @Test func cooDuplicatesAreSummed() throws {
        let m = try MatrixInput(data: Arrays(rows: [0, 1, 0, 0], cols: [0, 1, 0, 0], values: [1, 4, 2, 3])).decode()
        #expect(m.rows == 2 && m.cols == 2)
        #expect(m[0, 0] == 6)
        #expect(m[1, 1] == 4)
        #expect(m.nnz == 2)
    }

    @Test func nonSquareIsNotADecodeError() throws {
        let m = try MatrixInput(rows: 2, cols: 3, data: Arrays(
            rowPointers: [0, 1, 2], colIndices: [2, 0], values: [1, 2])).decode()
        #expect(m.rows == 2 && m.cols == 3 && m[0, 2] == 1)
    }

    @Test func zerosInDenseInputAreDropped() throws {
        let m = try MatrixInput(data: Arrays(dense: [[0, 5], [0, 0]])).decode()
        #expect(m.nnz == 1 && m[0, 1] == 5)
    }

    // MARK: The §9.1 body as first written (docs/design.md §9.1)

    static let planRowIndices = [0, 0, 1, 1, 1, 2, 2]

    @Test func planExampleAsWrittenNamesBothSizes() {
        let input = MatrixInput(rows: 1000, cols: 1000, format: "csr", data: Arrays(
            colPointers: [0, 2, 5, 7], rowIndices: Self.planRowIndices, values: Self.tridiagonalValues))
        let error = Self.decodeError(input)
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.field == "matrix.data.col_pointers")
        #expect(error?.message.contains("1000") == true)
        #expect(error?.message.contains("3 columns") == true)
    }

    @Test func planExampleWithConsistentSizesRejectsTheRepeatedRow() {
        let input = MatrixInput(rows: 3, cols: 3, format: "csr", data: Arrays(
            colPointers: [0, 2, 5, 7], rowIndices: Self.planRowIndices, values: Self.tridiagonalValues))
        let error = Self.decodeError(input)
        #expect(error?.code == .duplicateEntry)
        #expect(error?.field == "matrix.data.row_indices")
        #expect(error?.message == "column 0 repeats row 0")
    }

    // MARK: Validation errors

    static let csrPointers = [0, 2, 5, 7]
    static let csrColumns = [0, 1, 0, 1, 2, 1, 2]

    static func csr(
        rows: Int? = nil, cols: Int? = nil, nnz: Int? = nil, pointers: [Int] = csrPointers,
        indices: [Int] = csrColumns, values: [Double] = tridiagonalValues
    ) -> MatrixInput {
        MatrixInput(rows: rows, cols: cols, nnz: nnz, data: Arrays(rowPointers: pointers, colIndices: indices, values: values))
    }

    static func coo(rows: Int? = nil, cols: Int? = nil, r: [Int], c: [Int], v: [Double]) -> MatrixInput {
        MatrixInput(rows: rows, cols: cols, data: Arrays(rows: r, cols: c, values: v))
    }

    static let errors: [Case] = [
        // Pointer arrays.
        Case(name: "pointer array length vs declared rows", input: csr(rows: 4),
             code: .dimensionMismatch, field: "matrix.data.row_pointers"),
        Case(name: "empty pointer array", input: csr(pointers: [], indices: [], values: []),
             code: .invalidMatrix, field: "matrix.data.row_pointers"),
        Case(name: "pointers not starting at 0", input: csr(pointers: [1, 2, 5, 7]),
             code: .invalidMatrix, field: "matrix.data.row_pointers[0]"),
        Case(name: "pointers not monotone", input: csr(pointers: [0, 3, 2, 7]),
             code: .invalidMatrix, field: "matrix.data.row_pointers[2]"),
        Case(name: "pointers not ending at nnz", input: csr(pointers: [0, 2, 5, 6]),
             code: .dimensionMismatch, field: "matrix.data.row_pointers[3]"),
        Case(name: "CSC pointers not ending at nnz",
             input: MatrixInput(data: Arrays(colPointers: [0, 2, 5, 8], rowIndices: [0, 1, 0, 1, 2, 1, 2], values: tridiagonalValues)),
             code: .dimensionMismatch, field: "matrix.data.col_pointers[3]"),
        // Indices.
        Case(name: "column index too large", input: csr(indices: [0, 1, 0, 1, 3, 1, 2]),
             code: .indexOutOfRange, field: "matrix.data.col_indices[4]"),
        Case(name: "negative column index", input: csr(indices: [0, 1, -1, 1, 2, 1, 2]),
             code: .indexOutOfRange, field: "matrix.data.col_indices[2]"),
        Case(name: "column index beyond declared cols", input: csr(cols: 2),
             code: .indexOutOfRange, field: "matrix.data.col_indices[4]"),
        Case(name: "huge column index", input: csr(indices: [0, 1, 0, 1, 1 << 40, 1, 2]),
             code: .indexOutOfRange, field: "matrix.data.col_indices[4]"),
        Case(name: "CSC row index out of range",
             input: MatrixInput(data: Arrays(colPointers: [0, 2, 5, 7], rowIndices: [0, 1, 0, 1, 3, 1, 2], values: tridiagonalValues)),
             code: .indexOutOfRange, field: "matrix.data.row_indices[4]"),
        Case(name: "COO row out of declared range", input: coo(rows: 2, cols: 2, r: [0, 2], c: [0, 1], v: [1, 1]),
             code: .indexOutOfRange, field: "matrix.data.rows[1]"),
        Case(name: "COO negative column", input: coo(r: [0, 1], c: [0, -1], v: [1, 1]),
             code: .indexOutOfRange, field: "matrix.data.cols[1]"),
        Case(name: "COO index beyond the row limit", input: coo(r: [0, Int.max], c: [0, 1], v: [1, 1]),
             code: .indexOutOfRange, field: "matrix.data.rows[1]"),
        Case(name: "duplicate column in a CSR row", input: csr(indices: [0, 0, 0, 1, 2, 1, 2]),
             code: .duplicateEntry, field: "matrix.data.col_indices"),
        // Array lengths and declared sizes.
        Case(name: "col_indices shorter than values", input: csr(indices: [0, 1, 0, 1, 2, 1]),
             code: .dimensionMismatch, field: "matrix.data.col_indices"),
        Case(name: "COO cols shorter than values", input: coo(r: [0, 1], c: [0], v: [1, 1]),
             code: .dimensionMismatch, field: "matrix.data.cols"),
        Case(name: "declared nnz disagrees", input: csr(nnz: 8),
             code: .dimensionMismatch, field: "matrix.nnz"),
        Case(name: "declared cols disagree with CSC pointers",
             input: MatrixInput(cols: 4, data: Arrays(colPointers: [0, 2, 5, 7], rowIndices: [0, 1, 0, 1, 2, 1, 2], values: tridiagonalValues)),
             code: .dimensionMismatch, field: "matrix.data.col_pointers"),
        Case(name: "dense rows vs declared rows", input: MatrixInput(rows: 2, data: Arrays(dense: [[1, 0], [0, 1], [1, 1]])),
             code: .dimensionMismatch, field: "matrix.data.dense"),
        Case(name: "dense cols vs declared cols", input: MatrixInput(cols: 3, data: Arrays(dense: [[1, 0], [0, 1]])),
             code: .dimensionMismatch, field: "matrix.data.dense[0]"),
        Case(name: "ragged dense rows", input: MatrixInput(data: Arrays(dense: [[1, 0], [0, 1, 2]])),
             code: .dimensionMismatch, field: "matrix.data.dense[1]"),
        Case(name: "negative rows", input: csr(rows: -3), code: .invalidArgument, field: "matrix.rows"),
        Case(name: "negative cols", input: csr(cols: -1), code: .invalidArgument, field: "matrix.cols"),
        Case(name: "negative nnz", input: csr(nnz: -7), code: .invalidArgument, field: "matrix.nnz"),
        // Values.
        Case(name: "NaN value", input: csr(values: [2, -1, -1, .nan, -1, -1, 2]),
             code: .nonFinite, field: "matrix.data.values[3]"),
        Case(name: "infinite COO value", input: coo(r: [0, 1], c: [0, 1], v: [1, -.infinity]),
             code: .nonFinite, field: "matrix.data.values[1]"),
        Case(name: "COO duplicates overflowing to infinity", input: coo(r: [0, 0], c: [0, 0], v: [1e308, 1e308]),
             code: .nonFinite, field: "matrix.data.values"),
        Case(name: "infinite dense value", input: MatrixInput(data: Arrays(dense: [[1, 0], [0, .infinity]])),
             code: .nonFinite, field: "matrix.data.dense[1][1]"),
        // Empty.
        Case(name: "no entries", input: csr(pointers: [0, 0, 0], indices: [], values: []),
             code: .empty, field: "matrix.data"),
        Case(name: "no rows", input: csr(pointers: [0], indices: [], values: []), code: .empty, field: "matrix.data"),
        Case(name: "empty COO", input: coo(r: [], c: [], v: []), code: .empty, field: "matrix.data"),
        Case(name: "empty dense", input: MatrixInput(data: Arrays(dense: [])), code: .empty, field: "matrix.data"),
        Case(name: "all-zero dense", input: MatrixInput(data: Arrays(dense: [[0, 0], [0, 0]])), code: .empty, field: "matrix.data"),
        // Limits.
        Case(name: "declared rows over the limit", input: csr(rows: Int.max), code: .tooLarge, field: "matrix.rows"),
        Case(name: "declared nnz over the limit", input: csr(nnz: 1 << 40), code: .tooLarge, field: "matrix.nnz"),
        Case(name: "pointer array over the row limit", input: csr(), limits: MatrixLimits(maxRows: 2),
             code: .tooLarge, field: "matrix.data.row_pointers"),
        Case(name: "values over the nonzero limit", input: csr(), limits: MatrixLimits(maxNonzeros: 6),
             code: .tooLarge, field: "matrix.data.values"),
        Case(name: "dense over the row limit", input: MatrixInput(data: Arrays(dense: [[1], [1], [1]])),
             limits: MatrixLimits(maxRows: 2), code: .tooLarge, field: "matrix.data.dense"),
        // Field sets.
        Case(name: "no arrays", input: MatrixInput(rows: 3, cols: 3), code: .invalidMatrix, field: "matrix.data"),
        Case(name: "CSR missing values",
             input: MatrixInput(data: Arrays(rowPointers: [0, 1], colIndices: [0])), code: .invalidMatrix, field: "matrix.data"),
        Case(name: "both pointer arrays",
             input: MatrixInput(data: Arrays(rowPointers: [0, 1], colPointers: [0, 1], rowIndices: [0], colIndices: [0], values: [1])),
             code: .invalidMatrix, field: "matrix.data"),
        Case(name: "pointers with COO arrays",
             input: MatrixInput(data: Arrays(rowPointers: [0, 1], colIndices: [0], rows: [0], cols: [0], values: [1])),
             code: .invalidMatrix, field: "matrix.data"),
        Case(name: "dense mixed with values",
             input: MatrixInput(data: Arrays(values: [1], dense: [[1]])), code: .invalidMatrix, field: "matrix.data"),
    ]

    @Test(arguments: errors)
    func validationErrorNamesCodeAndField(_ c: Case) {
        let error = Self.decodeError(c.input, limits: c.limits)
        #expect(error?.code == c.code, "\(String(describing: error))")
        #expect(error?.field == c.field, "\(String(describing: error))")
    }

    @Test func ambiguousFieldSetsExplainWhatWasFoundAndAccepted() {
        let error = Self.decodeError(MatrixInput(format: "csr", data: Arrays(colPointers: [0, 1], rowIndices: [0])))
        let message = error?.message ?? ""
        #expect(message.contains("[col_pointers, row_indices]"))
        #expect(message.contains("row_pointers+col_indices+values (CSR)"))
        #expect(message.contains("dense"))
        #expect(message.contains("missing values"))
        #expect(message.contains("informative"))
    }

    @Test func fieldPrefixIsUsedInEveryField() {
        let error = Self.decodeError(Self.csr(pointers: [0, 3, 2, 7]), prefix: "update.matrix")
        #expect(error?.field == "update.matrix.data.row_pointers[2]")
    }

    @Test func randomArraysThrowOrDecodeButNeverTrap() throws {
        var rng = SplitMix64(seed: 9)
        func small(_ count: Int) -> [Int] { (0..<count).map { _ in Int(rng.next() % 7) - 1 } }
        for _ in 0..<3000 {
            let n = Int(rng.next() % 6)
            let values = (0..<n).map { _ in Double(Int(rng.next() % 5)) - 2 }
            let data: Arrays
            switch rng.next() % 4 {
            case 0: data = Arrays(rowPointers: small(Int(rng.next() % 5)), colIndices: small(n), values: values)
            case 1: data = Arrays(colPointers: small(Int(rng.next() % 5)), rowIndices: small(n), values: values)
            case 2: data = Arrays(rows: small(n), cols: small(Int(rng.next() % 6)), values: values)
            default: data = Arrays(dense: (0..<Int(rng.next() % 3)).map { _ in small(Int(rng.next() % 3)).map(Double.init) })
            }
            let declared = { rng.next() % 3 == 0 ? Int(rng.next() % 5) - 1 : nil }
            let input = MatrixInput(rows: declared(), cols: declared(), nnz: declared(), data: data)
            do {
                try input.decode(limits: MatrixLimits(maxRows: 4, maxNonzeros: 5)).checkInvariants()
            } catch let error as SolverError {
                #expect(error.field?.hasPrefix("matrix") == true, "\(error)")
            }
        }
    }

    static func decodeError(
        _ input: MatrixInput, limits: MatrixLimits = MatrixLimits(), prefix: String = "matrix"
    ) -> SolverError? {
        do {
            _ = try input.decode(limits: limits, fieldPrefix: prefix)
            return nil
        } catch let error as SolverError {
            return error
        } catch {
            return nil
        }
    }
}
