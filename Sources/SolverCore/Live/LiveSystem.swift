/// The live state of one square system `A x = b`: the matrix (with a column-wise copy for push methods), the
/// right-hand side, the current iterate `x` and its residual `r = b − A x`.
///
/// Invariants, between any two public calls:
/// - `r` equals `b − A x` up to rounding and to the drift of recurrence-updated residuals (measured by
///   `verifyRows`/`recomputeResidual`);
/// - `residualNormSquared == ‖r‖₂²` up to rounding; when `residualTreeIsCurrent` the sum tree holds every `r_i²`;
/// - `columns` is `Aᵀ` in CSR form and `mirror[k]` is where entry `k` of `matrix` sits in `columns`;
/// - `pendingInsertions` holds new nonzeros already reflected in `r` but not yet merged into `matrix` (merged by
///   `compact()` before anything reads the matrix structure again).
///
/// Not thread-safe: the owner (a session's serial queue) serialises every call.
public final class LiveSystem {
    public private(set) var matrix: CSRMatrix
    /// `Aᵀ` (A by columns), for push. Value changes reach it lazily: see `pendingColumnPositions`.
    public var columns: CSRMatrix {
        syncColumns()
        return columnStorage
    }
    private var columnStorage: CSRMatrix
    private(set) var mirror: [Int]
    /// Positions in `matrix` whose value changed since `columnStorage` was last synced: single-entry updates skip a
    /// random write into the column copy, and the copy catches up when it is read. Past `nnz / 8` of them the list
    /// is dropped and `columnsStale` set: one full pass then is cheaper than replaying the list.
    private var pendingColumnPositions: [Int] = []
    private var columnsStale = false
    /// Stored off-diagonal entries `(i, j)` whose value differs from `A[j][i]` (0 when not stored), counted over the
    /// values `columnStorage` holds: kept in step by `syncColumns` in O(log row length) per changed entry, so
    /// `isSymmetric` costs what the changes since the last read cost, never O(nnz) after a single-entry update.
    private var asymmetricEntries = 0
    public private(set) var b: [Double]
    public internal(set) var x: [Double]
    public internal(set) var r: [Double]
    /// `diagonalPositions[i]` is the position of `A[i][i]` in `matrix`, or -1 when not stored.
    public private(set) var diagonalPositions: [Int]
    public internal(set) var residualNormSquared: Double
    public private(set) var rightHandSideNormSquared: Double
    /// Incremented on every change to `A`; preconditioners and cached properties compare it to detect staleness.
    public private(set) var matrixVersion: Int = 0
    /// Row-parallel loop for the O(nnz) kernels.
    public let loop: any ParallelLoop

    var residualTree: SumTree
    /// Every leaf of the tree holds the current `r_i²`; ancestors of `pendingTreeLeaves` may still be stale.
    private(set) var residualTreeIsCurrent: Bool
    /// Leaves rewritten by updates since the ancestors were last refreshed (refreshed together, once per node).
    private(set) var pendingTreeLeaves: [Int32] = []
    var pendingInsertions: [Int: Double] = [:]
    /// Rows whose residual changed through updates since the last `takeChangedRows()`, for local re-convergence.
    private(set) var changedRows: [Int] = []
    /// Set when more rows changed than are worth tracking one by one: the change is global.
    private(set) var changedRowsOverflowed = false
    /// Rows whose `x` may have changed since the last `takeChangedSolutionRows()` (duplicates allowed), so readers
    /// that diff `x` (event frames) look at those rows only; `solutionChangedEverywhere` after a global step.
    private var changedSolutionRows: [Int32] = []
    private var solutionChangedEverywhere = true

    public var dimension: Int { matrix.rows }
    public var residualNorm: Double { residualNormSquared.squareRoot() }
    public var rightHandSideNorm: Double { rightHandSideNormSquared.squareRoot() }

    /// Starts from `x0` (zeros by default) and computes `r` exactly.
    public init(matrix: CSRMatrix, b: [Double], x0: [Double]? = nil, loop: any ParallelLoop = SequentialLoop()) throws {
        guard matrix.rows > 0, matrix.nnz > 0 else {
            throw SolverError(.empty, "the matrix has no rows or no entries", field: "matrix")
        }
        guard matrix.isSquare else {
            throw SolverError(.notSquare, "the matrix is \(matrix.rows)×\(matrix.cols); a system needs a square matrix", field: "matrix.cols")
        }
        guard b.count == matrix.rows else {
            throw SolverError.dimensionMismatch("has \(b.count) entries but the matrix has \(matrix.rows) rows", field: "vector")
        }
        if let k = b.firstIndex(where: { !$0.isFinite }) { throw SolverError.nonFinite(field: "vector[\(k)]") }
        if let x0 {
            guard x0.count == matrix.rows else {
                throw SolverError.dimensionMismatch("has \(x0.count) entries but the matrix has \(matrix.rows) rows", field: "x0")
            }
            if let k = x0.firstIndex(where: { !$0.isFinite }) { throw SolverError.nonFinite(field: "x0[\(k)]") }
        }
        self.matrix = matrix
        (self.columnStorage, self.mirror) = matrix.transposedWithPositions()
        self.asymmetricEntries = matrix.asymmetricEntryCount()
        self.b = b
        self.x = x0 ?? [Double](repeating: 0, count: matrix.rows)
        self.r = [Double](repeating: 0, count: matrix.rows)
        self.diagonalPositions = matrix.diagonalPositions()
        self.rightHandSideNormSquared = VectorKernels.normSquared(b)
        self.residualNormSquared = 0
        self.residualTree = SumTree(count: matrix.rows)
        self.residualTreeIsCurrent = false
        self.loop = loop
        recomputeResidual()
    }

    // MARK: Residual bookkeeping

    /// Recomputes `r = b − A x` and `‖b‖` exactly (O(nnz)); returns `‖r‖₂`.
    @discardableResult
    public func recomputeResidual() -> Double {
        compact()
        residualNormSquared = SparseKernels.residual(matrix, b: b, x: x, into: &r, loop: loop)
        rightHandSideNormSquared = VectorKernels.normSquared(b)
        residualTreeIsCurrent = false
        pendingTreeLeaves.removeAll(keepingCapacity: true)
        return residualNorm
    }

    /// Called by methods that rewrote all of `r`: records the new norm; the sum tree is rebuilt lazily.
    func residualChangedEverywhere(normSquared: Double) {
        noteSolutionChangedEverywhere()
        residualNormSquared = normSquared
        residualTreeIsCurrent = false
        pendingTreeLeaves.removeAll(keepingCapacity: true)
    }

    /// Merges pending insertions and makes the residual sum tree current, so the next local re-convergence pays
    /// nothing for them; call while idle.
    public func prepareForLocalUpdates() {
        compact()
        ensureResidualTree()
        restingResidualNormSquared = residualNormSquared
    }

    /// ‖r‖₂² when the system was last made ready for local updates (after a solve converged): the residual a
    /// later local re-convergence starts from, before the updates added theirs.
    public private(set) var restingResidualNormSquared = 0.0

    /// Makes the sum tree current and `residualNormSquared` exact: O(n) after a global step, O(k log k) after k
    /// updates, free otherwise.
    func ensureResidualTree() {
        if !residualTreeIsCurrent {
            residualTree.rebuild(squaresOf: r)
            residualTreeIsCurrent = true
        } else if !pendingTreeLeaves.isEmpty {
            residualTree.refreshAncestors(ofLeaves: &pendingTreeLeaves, count: pendingTreeLeaves.count)
            pendingTreeLeaves.removeAll(keepingCapacity: true)
        } else {
            return
        }
        residualNormSquared = residualTree.total
    }

    /// Sets `r_i` in O(1): the norm is updated as a running sum (exact again at the next `ensureResidualTree`), the
    /// tree leaf is written and its ancestors are refreshed later, together with the other pending ones. Past
    /// `n / 8` pending leaves a full rebuild is cheaper, so the tree is marked stale instead.
    @inline(__always)
    func setResidual(_ i: Int, _ value: Double) {
        if residualTreeIsCurrent {
            residualTree.setLeafOnly(i, value * value)
            pendingTreeLeaves.append(Int32(truncatingIfNeeded: i))
            if pendingTreeLeaves.count > max(1024, dimension / 8) {
                residualTreeIsCurrent = false
                pendingTreeLeaves.removeAll(keepingCapacity: true)
            }
        }
        residualNormSquared = max(0, residualNormSquared + value * value - r[i] * r[i])
        r[i] = value
    }

    /// Records that row `i`'s residual changed through an update.
    private func noteChanged(_ i: Int) {
        guard !changedRowsOverflowed else { return }
        if changedRows.count >= Self.changedRowsLimit(dimension) {
            changedRowsOverflowed = true
            changedRows = []
        } else {
            changedRows.append(i)
        }
    }

    /// Beyond this many changed rows the change counts as global (the list is not worth keeping).
    static func changedRowsLimit(_ n: Int) -> Int { max(64, n / 32) }

    /// Records rows whose `x` a local method changed. Past `n / 8` rows the list gives way to "everywhere".
    func noteSolutionChanged(rows: ArraySlice<Int32>) {
        guard !solutionChangedEverywhere else { return }
        if changedSolutionRows.count + rows.count > max(256, dimension / 8) {
            noteSolutionChangedEverywhere()
        } else {
            changedSolutionRows.append(contentsOf: rows)
        }
    }

    func noteSolutionChangedEverywhere() {
        solutionChangedEverywhere = true
        changedSolutionRows.removeAll(keepingCapacity: true)
    }

    /// Rows whose `x` may have changed since the last call (duplicates possible), or nil when it may have changed
    /// anywhere.
    public func takeChangedSolutionRows() -> [Int32]? {
        defer {
            changedSolutionRows.removeAll(keepingCapacity: true)
            solutionChangedEverywhere = false
        }
        return solutionChangedEverywhere ? nil : changedSolutionRows
    }

    /// Hands over the rows changed since the last call; nil when too many changed to track (a global change).
    func takeChangedRows() -> [Int]? {
        defer { changedRows = []; changedRowsOverflowed = false }
        return changedRowsOverflowed ? nil : changedRows
    }

    // MARK: Updates (each O(1) or O(log n) on the live state)

    /// `b[index] += delta`, and `r[index]` with it.
    public func addToRightHandSide(_ index: Int, _ delta: Double, field: String = "delta_costs") throws {
        guard index >= 0, index < dimension else {
            throw SolverError.indexOutOfRange("index \(index) is outside 0..<\(dimension)", field: field)
        }
        guard delta.isFinite, (b[index] + delta).isFinite else { throw SolverError.nonFinite(field: field) }
        let old = b[index]
        b[index] = old + delta
        rightHandSideNormSquared += b[index] * b[index] - old * old
        setResidual(index, r[index] + delta)
        noteChanged(index)
    }

    /// The current value of `A[row][col]` (0 when not stored).
    public func entry(row: Int, col: Int) -> Double {
        if let p = matrix.position(row: row, col: col) { return matrix.values[p] }
        return pendingInsertions[row * dimension + col] ?? 0
    }

    /// Sets `A[row][col] = newValue`, after checking `expectedOldValue` when given (a mismatch throws and changes
    /// nothing). A value for an entry not stored yet becomes a new nonzero, merged into the structure lazily.
    /// Returns the previous value.
    @discardableResult
    public func setEntry(row: Int, col: Int, to newValue: Double, expectedOldValue: Double? = nil,
                         tolerance: Double = 1e-12, field: String = "matrix_updates") throws -> Double {
        let n = dimension
        guard row >= 0, row < n else { throw SolverError.indexOutOfRange("row \(row) is outside 0..<\(n)", field: "\(field).row") }
        guard col >= 0, col < n else { throw SolverError.indexOutOfRange("col \(col) is outside 0..<\(n)", field: "\(field).col") }
        guard newValue.isFinite else { throw SolverError.nonFinite(field: "\(field).new_value") }
        let position = matrix.position(row: row, col: col)
        let old = position.map { matrix.values[$0] } ?? pendingInsertions[row * n + col] ?? 0
        if let expectedOldValue, abs(expectedOldValue - old) > tolerance * max(1, abs(old)) {
            throw SolverError(.oldValueMismatch,
                              "A[\(row)][\(col)] is \(old), not the stated old_value \(expectedOldValue); update not applied",
                              field: "\(field).old_value")
        }
        if let position {
            matrix.setValue(at: position, to: newValue)
            if !columnsStale {
                pendingColumnPositions.append(position)
                if pendingColumnPositions.count > max(1024, matrix.nnz / 8) {
                    columnsStale = true
                    pendingColumnPositions.removeAll()
                }
            }
        } else {
            pendingInsertions[row * n + col] = newValue
        }
        matrixVersion &+= 1
        setResidual(row, r[row] - (newValue - old) * x[col])
        noteChanged(row)
        return old
    }

    /// Whether `A` equals `Aᵀ` exactly (pending insertions are merged first).
    public var isSymmetric: Bool {
        compact()
        syncColumns()
        return asymmetricEntries == 0
    }

    /// Copies pending value changes into the column copy, and counts how each changes `asymmetricEntries`.
    /// O(changes · log row length).
    private func syncColumns() {
        if columnsStale {
            for position in 0..<matrix.nnz { columnStorage.setValue(at: mirror[position], to: matrix.values[position]) }
            columnsStale = false
            asymmetricEntries = matrix.asymmetricEntryCount()
        } else {
            for position in pendingColumnPositions { syncColumnValue(at: position) }
        }
        pendingColumnPositions.removeAll(keepingCapacity: true)
    }

    /// Moves one entry's value into the column copy. The asymmetry count changes by the entry's own status and, when
    /// its mirror `(j, i)` is stored, by the mirror's; both are judged against the mirror's value in the column copy,
    /// so changes to both entries of a pair in one batch are counted one after the other, consistently.
    private func syncColumnValue(at position: Int) {
        let columnPosition = mirror[position]
        let old = columnStorage.values[columnPosition]
        let new = matrix.values[position]
        guard old != new else { return }
        let row = Int(columnStorage.colIndices[columnPosition])
        let col = Int(matrix.colIndices[position])
        if row != col {
            let mirrorPosition = matrix.position(row: col, col: row)
            let mirrorValue = mirrorPosition.map { columnStorage.values[mirror[$0]] } ?? 0
            let entriesJudged = mirrorPosition == nil ? 1 : 2
            asymmetricEntries += entriesJudged * ((new != mirrorValue ? 1 : 0) - (old != mirrorValue ? 1 : 0))
        }
        columnStorage.setValue(at: columnPosition, to: new)
    }

    /// Merges pending new nonzeros into `matrix` and `columns` (O(nnz), amortised over every insertion since the
    /// last merge).
    public func compact() {
        guard !pendingInsertions.isEmpty else { return }
        let n = dimension
        var triplets = COOTriplets(rows: n, cols: n)
        triplets.reserve(matrix.nnz + pendingInsertions.count)
        for i in 0..<n {
            for k in matrix.rowPointers[i]..<matrix.rowPointers[i + 1] {
                triplets.append(row: i, col: Int(matrix.colIndices[k]), value: matrix.values[k])
            }
        }
        for (key, value) in pendingInsertions { triplets.append(row: key / n, col: key % n, value: value) }
        pendingInsertions.removeAll()
        matrix = triplets.toCSR()
        (columnStorage, mirror) = matrix.transposedWithPositions()
        asymmetricEntries = matrix.asymmetricEntryCount()
        pendingColumnPositions.removeAll()
        columnsStale = false
        diagonalPositions = matrix.diagonalPositions()
    }

    /// Replaces `x` (for example with a client-supplied iterate) and recomputes `r`.
    public func replaceSolution(_ newX: [Double]) throws {
        guard newX.count == dimension else {
            throw SolverError.dimensionMismatch("has \(newX.count) entries but the system has \(dimension)", field: "x")
        }
        if let k = newX.firstIndex(where: { !$0.isFinite }) { throw SolverError.nonFinite(field: "x[\(k)]") }
        x = newX
        noteSolutionChangedEverywhere()
        recomputeResidual()
    }

    /// Bytes held by the vectors and matrix copies, for memory accounting.
    public var memoryBytes: Int {
        let vectors = (b.count + x.count + r.count) * 8 + residualTree.capacity * 16
        let matrices = 2 * (matrix.nnz * 12 + (matrix.rows + 1) * 8) + mirror.count * 8 + diagonalPositions.count * 8
        return vectors + matrices + pendingInsertions.count * 32
    }
}
