extension CSRMatrix {
    /// The names validation errors use for the three compressed arrays and the two axes.
    ///
    /// Compressed-column input is validated as the CSR form of Aᵀ; with these names its errors still speak of
    /// `col_pointers`, `row_indices` and "column 0 repeats row 0", the fields the client actually sent.
    struct FieldNames: Sendable {
        var pointers: String
        var indices: String
        var values: String
        /// The compressed axis ("row" for CSR), whose count the pointer array implies.
        var major: String
        /// The indexed axis ("column" for CSR).
        var minor: String

        /// `row_pointers`, `col_indices`, `values` under `prefix`.
        static func rowCompressed(_ prefix: String) -> FieldNames {
            FieldNames(
                pointers: "\(prefix).row_pointers", indices: "\(prefix).col_indices", values: "\(prefix).values",
                major: "row", minor: "column")
        }

        /// `col_pointers`, `row_indices`, `values` under `prefix`.
        static func columnCompressed(_ prefix: String) -> FieldNames {
            FieldNames(
                pointers: "\(prefix).col_pointers", indices: "\(prefix).row_indices", values: "\(prefix).values",
                major: "column", minor: "row")
        }
    }
}
