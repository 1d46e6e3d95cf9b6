/// The live state of one square system `A x = b`: the matrix (plus a column-wise copy for push while `A` is not
/// symmetric), the right-hand side, the current iterate `x` and its residual `r = b − A x`.
///
/// Invariants, between any two public calls:
/// - `r` equals `b − A x` up to rounding and to the drift of recurrence-updated residuals (measured by
///   `verifyRows`/`recomputeResidual`);
/// - `residualNormSquared == ‖r‖₂²` up to rounding; when `residualTreeIsCurrent` the sum tree holds every `r_i²`;
/// - `asymmetricEntries` counts the stored entries of `matrix` that differ from their mirror; `transposeStorage`,
///   when held, is `Aᵀ` in CSR form up to the changes listed in `pendingColumnChanges` (or `columnsStale`);
/// - `pendingInsertions` holds new nonzeros already reflected in `r` but not yet merged into `matrix` (merged by
///   `compact()` before anything reads the matrix structure again).
///
/// Not thread-safe: the owner (a session's serial queue) serialises every call.
public final class LiveSystem {
    public private(set) var matrix: CSRMatrix
    /// `Aᵀ` (A by columns), for push: `matrix` itself while `A` is symmetric — no copy, the common case —, else a
    /// transposed copy built on first use (or while idle, `prepareForLocalUpdates`) that value changes reach lazily.
    public var columns: CSRMatrix {
        guard asymmetricEntries > 0 else {
            dropTranspose()
            return matrix
        }
        return syncedTranspose()
    }
    private var transposeStorage: CSRMatrix?
    /// Entries `(row, col)` of `matrix` whose value changed since `transposeStorage` was last synced: single-entry
    /// updates skip a random write into the column copy, which catches up when it is read. Past `nnz / 8` of them
    /// the list is dropped and `columnsStale` set: one transposition then is cheaper than replaying the list.
    private var pendingColumnChanges: [SIMD2<Int32>] = []
    private var columnsStale = false
    /// Stored off-diagonal entries `(i, j)` whose value differs from `A[j][i]` (0 when not stored): kept in step by
    /// `setEntry` in O(log row length), recounted by `compact`, so `isSymmetric` never costs O(nnz) after an update.
    private var asymmetricEntries = 0
    public private(set) var b: [Double]
    public internal(set) var x: [Double]
    public internal(set) var r: [Double]
    /// `diagonalPositions[i]` is the position of `A[i][i]` in `matrix`, or -1 when not stored.
    public private(set) var diagonalPositions: [Int32]
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
        if asymmetricEntries > 0 { _ = syncedTranspose() } else { dropTranspose() }
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
            residualTree.refresh(rows: &pendingTreeLeaves, count: pendingTreeLeaves.count, squaresOf: r)
            pendingTreeLeaves.removeAll(keepingCapacity: true)
        } else {
            return
        }
        residualNormSquared = residualTree.total
    }

    /// Sets `r_i` in O(1): the norm is updated as a running sum (exact again at the next `ensureResidualTree`), the
    /// row is listed and its tree leaf and ancestors are refreshed later, together with the other pending ones. Past
    /// `n / 8` pending leaves a full rebuild is cheaper, so the tree is marked stale instead.
    @inline(__always)
    func setResidual(_ i: Int, _ value: Double) {
        if residualTreeIsCurrent {
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
            countAsymmetryChange(row: row, col: col, from: old, to: newValue)
            matrix.setValue(at: position, to: newValue)
            if transposeStorage != nil, !columnsStale {
                pendingColumnChanges.append(SIMD2(Int32(truncatingIfNeeded: row), Int32(truncatingIfNeeded: col)))
                if pendingColumnChanges.count > max(1024, matrix.nnz / 8) {
                    columnsStale = true
                    pendingColumnChanges = []
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
        return asymmetricEntries == 0
    }

    /// Keeps `asymmetricEntries` in step with a change of stored entry `(row, col)` from `old` to `new`: the entry's
    /// own status changes and, when its mirror `(col, row)` is stored, the mirror's, both judged against the mirror's
    /// current value. O(log row length).
    private func countAsymmetryChange(row: Int, col: Int, from old: Double, to new: Double) {
        guard row != col, old != new else { return }
        let mirrorPosition = matrix.position(row: col, col: row)
        let mirrorValue = mirrorPosition.map { matrix.values[$0] } ?? 0
        let entriesJudged = mirrorPosition == nil ? 1 : 2
        asymmetricEntries += entriesJudged * ((new != mirrorValue ? 1 : 0) - (old != mirrorValue ? 1 : 0))
    }

    /// The column copy, built when missing or stale, else brought up to date with the listed value changes.
    /// O(changes · log row length), O(nnz) when built.
    private func syncedTranspose() -> CSRMatrix {
        if transposeStorage == nil || columnsStale {
            transposeStorage = matrix.transposed()
            columnsStale = false
        } else {
            for change in pendingColumnChanges {
                let (row, col) = (Int(change.x), Int(change.y))
                guard let source = matrix.position(row: row, col: col),
                      let target = transposeStorage?.position(row: col, col: row) else { continue }
                transposeStorage?.setValue(at: target, to: matrix.values[source])
            }
        }
        pendingColumnChanges.removeAll(keepingCapacity: true)
        return transposeStorage!
    }

    /// Frees the column copy (`A` is symmetric again, or its structure changed).
    private func dropTranspose() {
        transposeStorage = nil
        columnsStale = false
        pendingColumnChanges = []
    }

    /// Merges pending new nonzeros into `matrix` (O(nnz), amortised over every insertion since the last merge); the
    /// column copy is rebuilt when next needed.
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
        dropTranspose()
        asymmetricEntries = matrix.asymmetricEntryCount()
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

    /// Adds what the live system holds: `A` with its diagonal index and pending insertions, the column copy, `b`, `x`, `r`, the residual sum tree, and the update bookkeeping lists.
    public func accountMemory(_ memory: inout MemoryBreakdown) {
        typealias M = MemoryAccounting
        // A dictionary's buffer: a key and a value per slot, plus one bit of occupancy.
        memory.matrix += matrix.memoryBytes + M.bytes(diagonalPositions) + pendingInsertions.capacity * 16
            + pendingInsertions.capacity / 8
        memory.transpose += (transposeStorage?.memoryBytes ?? 0) + M.bytes(pendingColumnChanges)
        memory.vectors += M.bytes(b) + M.bytes(x) + M.bytes(r) + residualTree.memoryBytes
        memory.other += M.bytes(pendingTreeLeaves) + M.bytes(changedRows) + M.bytes(changedSolutionRows)
    }
}
