/// The three decoders behind `MatrixInputDecoder.decode()`: compressed (CSR or CSC), COO triplets, dense.
extension MatrixInputDecoder {
    /// CSR, or CSC validated as the CSR form of Aᵀ (under the client's field names) and transposed.
    func decodeCompressed(pointers: [Int], indices: [Int], values: [Double], byColumn: Bool) throws -> CSRMatrix {
        let (pointerName, indexName) = byColumn ? ("col_pointers", "row_indices") : ("row_pointers", "col_indices")
        let (majorAxis, minorAxis) = byColumn ? ("column", "row") : ("row", "column")
        let (majorSize, minorSize) = byColumn ? ("cols", "rows") : ("rows", "cols")
        let (declaredMajor, declaredMinor) = byColumn ? (input.cols, input.rows) : (input.rows, input.cols)
        let pointerField = dataField(pointerName)

        guard let last = pointers.indices.last else {
            throw SolverError.invalidMatrix("is empty; it needs one entry per \(majorAxis) plus one", field: pointerField)
        }
        let implied = last
        try limits.checkDimension(implied, "\(majorAxis)s", field: pointerField)
        try limits.checkNonzeros(values.count, field: dataField("values"))
        if let declared = declaredMajor, declared != implied {
            throw SolverError.dimensionMismatch(
                "describes \(implied) \(majorAxis)s (\(pointers.count) pointers) but \(sizeField(majorSize)) = "
                    + "\(declared)", field: pointerField)
        }
        guard indices.count == values.count else {
            throw SolverError.dimensionMismatch(
                "has \(indices.count) entries but \(dataField("values")) has \(values.count)", field: dataField(indexName))
        }
        try checkDeclaredNonzeros(values.count, suppliedBy: dataField("values"))
        let minorCount = declaredMinor ?? implied
        guard implied > 0, minorCount > 0 else { throw emptyMatrix("no \(majorAxis)s") }
        guard !values.isEmpty else { throw emptyMatrix("no entries") }

        let note = declaredMinor == nil
            ? " (\(sizeField(minorSize)) not given; taken equal to the \(implied) \(majorAxis)s)" : ""
        let narrow = try checkedIndices(indices, bound: minorCount, name: indexName, axis: minorAxis, note: note)
        let names: CSRMatrix.FieldNames =
            byColumn ? .columnCompressed("\(prefix).data") : .rowCompressed("\(prefix).data")
        let m = try CSRMatrix(
            rows: implied, cols: minorCount, rowPointers: pointers, colIndices: narrow, values: values, names: names)
        return byColumn ? m.transposed() : m
    }

    /// COO triplets; repeated (row, col) pairs are summed. Undeclared sizes are taken square.
    func decodeTriplets(
        rowIndices: [Int], colIndices: [Int], values: [Double], rowName: String, colName: String
    ) throws -> CSRMatrix {
        let valueField = dataField("values")
        for (name, array) in [(rowName, rowIndices), (colName, colIndices)] where array.count != values.count {
            throw SolverError.dimensionMismatch(
                "has \(array.count) entries but \(valueField) has \(values.count)", field: dataField(name))
        }
        try limits.checkNonzeros(values.count, field: valueField)
        try checkDeclaredNonzeros(values.count, suppliedBy: valueField)
        try checkFinite(values, field: valueField)

        // Range-check against the declared sizes, or the limit when a size must be inferred, so the inferred
        // size below cannot overflow or exceed the limit.
        let cap = limits.dimensionCap
        let capNote = " (the \(cap)-row limit)"
        let rowBound = input.rows ?? input.cols ?? cap
        let colBound = input.cols ?? input.rows ?? cap
        let rowNote = input.rows == nil ? (input.cols == nil ? capNote : " (rows not given; taken equal to cols)") : ""
        let colNote = input.cols == nil ? (input.rows == nil ? capNote : " (cols not given; taken equal to rows)") : ""
        let r = try checkedIndices(rowIndices, bound: rowBound, name: rowName, axis: "row", note: rowNote)
        let c = try checkedIndices(colIndices, bound: colBound, name: colName, axis: "column", note: colNote)
        let inferred = Int(max(r.max() ?? -1, c.max() ?? -1)) + 1
        let rows = input.rows ?? input.cols ?? inferred
        let cols = input.cols ?? input.rows ?? inferred
        guard rows > 0, cols > 0 else { throw emptyMatrix("no rows") }
        guard !values.isEmpty else { throw emptyMatrix("no entries") }

        var triplets = COOTriplets(rows: rows, cols: cols)
        triplets.reserve(values.count)
        for k in values.indices {
            triplets.append(row: Int(r[k]), col: Int(c[k]), value: values[k])
        }
        return try triplets.toFiniteCSR(field: valueField)
    }

    /// Dense row-major rows; every row must have the same length, zeros are not stored.
    func decodeDense(_ dense: [[Double]]) throws -> CSRMatrix {
        let field = dataField("dense")
        guard let first = dense.first else { throw emptyMatrix("no rows") }
        let rows = dense.count, cols = first.count
        try limits.checkDimension(rows, "rows", field: field)
        try limits.checkDimension(cols, "columns", field: "\(field)[0]")
        if let declared = input.rows, declared != rows {
            throw SolverError.dimensionMismatch("has \(rows) rows but \(sizeField("rows")) = \(declared)", field: field)
        }
        if let declared = input.cols, declared != cols {
            throw SolverError.dimensionMismatch(
                "has \(cols) entries but \(sizeField("cols")) = \(declared)", field: "\(field)[0]")
        }
        var nonzeros = 0
        for (i, row) in dense.enumerated() {
            guard row.count == cols else {
                throw SolverError.dimensionMismatch(
                    "has \(row.count) entries but \(field)[0] has \(cols)", field: "\(field)[\(i)]")
            }
            try checkFinite(row, field: "\(field)[\(i)]")
            for v in row where v != 0 { nonzeros += 1 }
        }
        try limits.checkNonzeros(nonzeros, field: field)
        try checkDeclaredNonzeros(nonzeros, suppliedBy: "the nonzeros of \(field)")
        guard cols > 0 else { throw emptyMatrix("no columns") }
        guard nonzeros > 0 else { throw emptyMatrix("no nonzero entries") }

        var pointers = [0]
        var indices: [Int32] = []
        var values: [Double] = []
        pointers.reserveCapacity(rows + 1)
        indices.reserveCapacity(nonzeros)
        values.reserveCapacity(nonzeros)
        for row in dense {
            for (j, v) in row.enumerated() where v != 0 {
                indices.append(Int32(truncatingIfNeeded: j))
                values.append(v)
            }
            pointers.append(values.count)
        }
        return CSRMatrix(uncheckedRows: rows, cols: cols, rowPointers: pointers, colIndices: indices, values: values)
    }

    /// Checks every index against `0..<bound` (`index_out_of_range` on `name[k]`) and narrows it to `Int32`;
    /// `bound` never exceeds the dimension cap, so the narrowing is exact.
    func checkedIndices(_ indices: [Int], bound: Int, name: String, axis: String, note: String) throws -> [Int32] {
        if let k = indices.firstIndex(where: { $0 < 0 || $0 >= bound }) {
            throw SolverError.indexOutOfRange(
                "\(axis) \(indices[k]) is outside 0..<\(bound)\(note)", field: "\(dataField(name))[\(k)]")
        }
        return indices.map { Int32(truncatingIfNeeded: $0) }
    }
}
