/// Does the work of `MatrixInput.decode(limits:)`: checks the declared sizes, picks the layout from the field
/// names present (see `MatrixInput` for the rules) and hands the arrays to the layout's decoder.
///
/// Every check that bounds an allocation runs before the allocation: declared sizes and array lengths are
/// compared with `limits` first, and nothing is reserved from a declared size alone.
struct MatrixInputDecoder {
    let input: MatrixInput
    let limits: MatrixLimits
    let prefix: String

    /// One accepted set of `data` fields.
    enum Layout: CaseIterable {
        case csr, csc, coo, cooIndexed, dense

        /// The JSON names of the fields, in the order they are listed in messages.
        var fields: [String] {
            switch self {
            case .csr: return ["row_pointers", "col_indices", "values"]
            case .csc: return ["col_pointers", "row_indices", "values"]
            case .coo: return ["rows", "cols", "values"]
            case .cooIndexed: return ["row_indices", "col_indices", "values"]
            case .dense: return ["dense"]
            }
        }

        var label: String {
            switch self {
            case .csr: return "CSR"
            case .csc: return "CSC"
            case .coo, .cooIndexed: return "COO triplets"
            case .dense: return "dense row-major rows"
            }
        }
    }

    /// `matrix.<name>`, the path of a declared size.
    func sizeField(_ name: String) -> String { "\(prefix).\(name)" }
    /// `matrix.data.<name>`, the path of a data array.
    func dataField(_ name: String) -> String { "\(prefix).data.\(name)" }

    func decode() throws -> CSRMatrix {
        try checkDeclaredSizes()
        let d = input.data
        switch try layout() {
        case .csr:
            return try decodeCompressed(
                pointers: d.rowPointers ?? [], indices: d.colIndices ?? [], values: d.values ?? [], byColumn: false)
        case .csc:
            return try decodeCompressed(
                pointers: d.colPointers ?? [], indices: d.rowIndices ?? [], values: d.values ?? [], byColumn: true)
        case .coo:
            return try decodeTriplets(
                rowIndices: d.rows ?? [], colIndices: d.cols ?? [], values: d.values ?? [],
                rowName: "rows", colName: "cols")
        case .cooIndexed:
            return try decodeTriplets(
                rowIndices: d.rowIndices ?? [], colIndices: d.colIndices ?? [], values: d.values ?? [],
                rowName: "row_indices", colName: "col_indices")
        case .dense:
            return try decodeDense(d.dense ?? [])
        }
    }

    /// Negative declared sizes are `invalid_argument`; sizes above the limits are `too_large`.
    func checkDeclaredSizes() throws {
        for (name, value) in [("rows", input.rows), ("cols", input.cols), ("nnz", input.nnz)] {
            guard let value else { continue }
            guard value >= 0 else {
                throw SolverError.invalidArgument("must not be negative, got \(value)", field: sizeField(name))
            }
        }
        if let rows = input.rows { try limits.checkDimension(rows, "rows", field: sizeField("rows")) }
        if let cols = input.cols { try limits.checkDimension(cols, "columns", field: sizeField("cols")) }
        if let nnz = input.nnz { try limits.checkNonzeros(nnz, field: sizeField("nnz")) }
    }

    /// The JSON names of the data arrays present, in a fixed order.
    var presentFields: [String] {
        let d = input.data
        let all: [(String, Bool)] = [
            ("row_pointers", d.rowPointers != nil), ("col_pointers", d.colPointers != nil),
            ("row_indices", d.rowIndices != nil), ("col_indices", d.colIndices != nil),
            ("rows", d.rows != nil), ("cols", d.cols != nil), ("values", d.values != nil), ("dense", d.dense != nil),
        ]
        return all.filter(\.1).map(\.0)
    }

    /// The layout whose field set equals the fields present, or an `invalid_matrix` error that lists what was
    /// found, what is accepted, and for each layout the client seems to have meant what is missing or extra.
    func layout() throws -> Layout {
        let present = presentFields
        let presentSet = Set(present)
        if let match = Layout.allCases.first(where: { Set($0.fields) == presentSet }) { return match }

        var hints: [String] = []
        for candidate in Layout.allCases {
            let distinctive = Set(candidate.fields).subtracting(["values"])
            guard !distinctive.isDisjoint(with: presentSet) else { continue }
            let missing = candidate.fields.filter { !presentSet.contains($0) }
            let extra = present.filter { !candidate.fields.contains($0) }
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("unexpected \(extra.joined(separator: ", "))") }
            hints.append("as \(candidate.label) (\(candidate.fields.joined(separator: "+"))): \(parts.joined(separator: "; "))")
        }
        let found = present.isEmpty ? "no matrix arrays" : "fields [\(present.joined(separator: ", "))]"
        let accepted = Layout.allCases.map { "\($0.fields.joined(separator: "+")) (\($0.label))" }
        var message = "has \(found); the layout is read from the field names and exactly one of these sets is "
            + "accepted: \(accepted.joined(separator: ", "))"
        if !hints.isEmpty { message += ". Read \(hints.joined(separator: "; read "))" }
        if let format = input.format {
            message += ". (format \"\(format)\" is informative only)"
        }
        throw SolverError.invalidMatrix(message, field: "\(prefix).data")
    }

    /// `nnz`, when declared, must equal the number of entries supplied.
    func checkDeclaredNonzeros(_ supplied: Int, suppliedBy what: String) throws {
        if let nnz = input.nnz, nnz != supplied {
            throw SolverError.dimensionMismatch(
                "\(sizeField("nnz")) = \(nnz) but \(what) has \(supplied) entries", field: sizeField("nnz"))
        }
    }

    func emptyMatrix(_ detail: String) -> SolverError {
        SolverError(.empty, "the matrix has \(detail)", field: "\(prefix).data")
    }

    /// The first non-finite value, as a `non_finite_value` error on `field[k]`.
    func checkFinite(_ values: [Double], field: String) throws {
        if let k = values.firstIndex(where: { !$0.isFinite }) {
            throw SolverError.nonFinite(field: "\(field)[\(k)]")
        }
    }
}
