/// Upper bounds every matrix decoder checks *before* it allocates anything sized by a client.
///
/// A request or file declares its sizes up front; a hostile or mistaken declaration (10¹² rows, a size line
/// promising 10⁹ entries followed by three) must cost an error, not memory. Decoders therefore compare each
/// declared size with these limits and with the data actually present, and only then reserve storage.
public struct MatrixLimits: Sendable, Hashable {
    /// Largest accepted row or column count. Never more than `Int32.max`, because column indices are stored
    /// as `Int32`.
    public var maxRows: Int
    /// Largest accepted number of stored entries (after symmetric expansion, before summing duplicates). Never more
    /// than `CSRMatrix.maxNonzeros`, because positions are stored in 32 bits.
    public var maxNonzeros: Int

    public init(maxRows: Int = 10_000_000, maxNonzeros: Int = 100_000_000) {
        self.maxRows = maxRows
        self.maxNonzeros = maxNonzeros
    }

    /// The effective dimension bound: `maxRows`, capped by what an `Int32` index can address.
    var dimensionCap: Int { max(0, min(maxRows, Int(Int32.max))) }

    /// Throws `too_large` when a row or column count exceeds the limit. `what` is "rows", "columns", ….
    func checkDimension(_ n: Int, _ what: String, field: String) throws {
        guard n <= dimensionCap else {
            throw SolverError.tooLarge("\(n) \(what) exceeds the limit of \(dimensionCap)", field: field)
        }
    }

    /// Throws `too_large` when an entry count exceeds the limit.
    func checkNonzeros(_ n: Int, field: String) throws {
        guard n <= nonzeroCap else {
            throw SolverError.tooLarge("\(n) entries exceeds the limit of \(nonzeroCap)", field: field)
        }
    }

    /// The effective entry bound: `maxNonzeros`, capped by what 32-bit positions address (`CSRMatrix.maxNonzeros`).
    var nonzeroCap: Int { max(0, min(maxNonzeros, CSRMatrix.maxNonzeros)) }
}
