import SolverCore

/// Reads a request's `matrix` object (docs/design.md §3.2) into SolverCore's `MatrixInput`, which then picks the layout
/// from the array names and validates everything else. Accepted shapes, all under the request's `matrix` member:
///
/// - `{rows?, cols?, nnz?, format?, data: {values, row_pointers | col_pointers | row_indices | col_indices | rows | cols | dense}}`
/// - `{…, data: [[…], …]}` or `{…, dense: [[…], …]}`: dense row-major rows;
/// - `[[…], …]`: the matrix itself as dense rows.
///
/// Only the JSON shape is checked here (objects, numbers, integral indices); sizes and structure are
/// `MatrixInput.decode`'s job, so every rule about matrices lives in one place.
extension MatrixInput {
    /// The integer arrays of `data`, by JSON name (computed: key paths are not `Sendable` globals).
    static var indexArrayNames: [(String, WritableKeyPath<Arrays, [Int]?>)] {
        [
            ("row_pointers", \.rowPointers), ("col_pointers", \.colPointers), ("row_indices", \.rowIndices),
            ("col_indices", \.colIndices), ("rows", \.rows), ("cols", \.cols),
        ]
    }

    init(json: JSONValue, path: String) throws {
        self.init()
        if json.arrayElements != nil {
            data.dense = try Self.denseRows(json, field: path)
            return
        }
        let matrix = try JSONFields(json, path: path)
        rows = try matrix.int("rows")
        cols = try matrix.int("cols")
        nnz = try matrix.int("nnz")
        format = try matrix.string("format")
        if let dense = matrix["dense"] {
            data.dense = try Self.denseRows(dense, field: matrix.fieldName("dense"))
        }
        guard let dataValue = matrix["data"] else {
            guard data.dense != nil else { throw SolverError(.missingField, "is required", field: matrix.fieldName("data")) }
            return
        }
        if dataValue.arrayElements != nil {
            guard data.dense == nil else {
                throw SolverError(.invalidMatrix, "give the dense rows once, in data or in dense", field: matrix.fieldName("data"))
            }
            data.dense = try Self.denseRows(dataValue, field: matrix.fieldName("data"))
            return
        }
        let arrays = try JSONFields(dataValue, path: matrix.fieldName("data"))
        for (name, keyPath) in Self.indexArrayNames {
            data[keyPath: keyPath] = try arrays.ints(name)
        }
        data.values = try arrays.doubles("values")
        if let dense = arrays["dense"] {
            data.dense = try Self.denseRows(dense, field: arrays.fieldName("dense"))
        }
    }

    static func denseRows(_ value: JSONValue, field: String) throws -> [[Double]] {
        guard let rows = value.arrayElements else {
            throw SolverError(.invalidType, "expected an array of rows, got \(value.typeDescription)", field: field)
        }
        return try rows.enumerated().map { i, row in try JSONFields.doubles(row, field: "\(field)[\(i)]") }
    }
}

extension JSONFields {
    /// The member `key` as a matrix in any layout a solve request accepts, validated the same way; nil when absent.
    package func matrix(_ key: String, limits: MatrixLimits) throws -> CSRMatrix? {
        guard let value = self[key] else { return nil }
        let field = fieldName(key)
        return try MatrixInput(json: value, path: field).decode(limits: limits, fieldPrefix: field)
    }
}
