/// A matrix as a client sent it, before any validation: declared sizes plus whichever data arrays were present.
///
/// The wire layer fills this from JSON (`{"rows", "cols", "nnz", "format", "data": {…}}`); SolverCore knows
/// nothing of JSON. `decode(limits:)` turns it into a canonical `CSRMatrix` or throws a `SolverError` whose
/// `field` names the offending JSON path (`matrix.data.col_pointers`, `matrix.data.row_indices[4]`, …).
///
/// **The layout is decided from the data field names present, never from `format`.** Some clients label
/// compressed-column data `"format": "csr"` (docs/design.md §3.2), so `format` is informative only. Exactly one of
/// these field sets must be present in `data` (anything else — a mix, a missing array, no arrays — is an
/// `invalid_matrix` error on `matrix.data` that lists what was found and what is accepted):
///
/// | fields in `data`                           | layout                                        |
/// |--------------------------------------------|-----------------------------------------------|
/// | `row_pointers` + `col_indices` + `values`  | CSR                                           |
/// | `col_pointers` + `row_indices` + `values`  | CSC, converted to CSR                         |
/// | `rows` + `cols` + `values`                 | COO triplets (duplicates summed, as scipy)    |
/// | `row_indices` + `col_indices` + `values`   | COO triplets, same rules                      |
/// | `dense`                                    | dense row-major `[[Double]]`, zeros dropped   |
///
/// Sizes and consistency:
/// - Declared `rows`/`cols`/`nnz` are optional; negative is `invalid_argument`, above `MatrixLimits` is
///   `too_large`. Non-square is fine here (a `LiveSystem` rejects it).
/// - A pointer array implies its axis (`col_pointers` of length k+1 describes k columns); a declared size that
///   disagrees is `dimension_mismatch` naming both numbers. The other axis is the declared one or, when not
///   declared, equal to the first (systems are square); indices outside it are `index_out_of_range`.
/// - COO: a size not declared is the other declared size, or (neither declared) one more than the largest row
///   or column index, square either way.
/// - `nnz` counts the entries supplied (`values.count`; for dense, the nonzeros) and must match when declared.
/// - Inside a compressed row or column an index may appear once: a repeat is `duplicate_entry` naming the row
///   and column (COO triplets instead sum repeats). Entries within a compressed row/column may come unsorted.
/// - Values must be finite (`non_finite_value` on `values[k]`); no rows or no entries is `empty_matrix`.
///
/// Indices are `Int`: the wire layer accepts a JSON number only when it is integral and reports the field
/// otherwise, so fractional indices never reach this type.
public struct MatrixInput: Sendable, Hashable {
    /// The arrays of `matrix.data`, each `nil` when the client did not send it.
    public struct Arrays: Sendable, Hashable {
        public var rowPointers: [Int]?
        public var colPointers: [Int]?
        public var rowIndices: [Int]?
        public var colIndices: [Int]?
        /// COO row indices (`data.rows`).
        public var rows: [Int]?
        /// COO column indices (`data.cols`).
        public var cols: [Int]?
        public var values: [Double]?
        /// Row-major dense rows.
        public var dense: [[Double]]?

        public init(
            rowPointers: [Int]? = nil, colPointers: [Int]? = nil, rowIndices: [Int]? = nil,
            colIndices: [Int]? = nil, rows: [Int]? = nil, cols: [Int]? = nil, values: [Double]? = nil,
            dense: [[Double]]? = nil
        ) {
            self.rowPointers = rowPointers
            self.colPointers = colPointers
            self.rowIndices = rowIndices
            self.colIndices = colIndices
            self.rows = rows
            self.cols = cols
            self.values = values
            self.dense = dense
        }
    }

    public var rows: Int?
    public var cols: Int?
    public var nnz: Int?
    /// What the client called the format; reported in errors, never used to pick the layout.
    public var format: String?
    public var data: Arrays

    public init(rows: Int? = nil, cols: Int? = nil, nnz: Int? = nil, format: String? = nil, data: Arrays = Arrays()) {
        self.rows = rows
        self.cols = cols
        self.nnz = nnz
        self.format = format
        self.data = data
    }

    /// Validates the input against `limits` and builds the canonical CSR matrix. `fieldPrefix` is the JSON path
    /// of this object in the request (`matrix`), used in every error's `field`.
    public func decode(limits: MatrixLimits = MatrixLimits(), fieldPrefix: String = "matrix") throws -> CSRMatrix {
        try MatrixInputDecoder(input: self, limits: limits, prefix: fieldPrefix).decode()
    }
}
