/// The inner loop of forward push (Gauss–Southwell local residual push) on raw buffers.
///
/// Pushing row i moves its residual into x: `δ = r_i / a_ii`, `x_i += δ`, `r_i = 0`, and for every other entry
/// `a_ji` of column i, `r_j −= a_ji · δ`. Each changed `r_j²` is written into the sum tree (leaves at
/// `capacity + j`, parents recomputed from children) so `‖r‖₂²` stays exact at the root.
///
/// Invariants the caller guarantees: `columns` is Aᵀ in canonical CSR (so row i of it is column i of A) with every
/// index < n; `diagonalPositions[i]` is -1 or a valid position in `matrixValues`; `x`, `r` have n entries; the tree
/// has `2 · capacity` nodes with `capacity ≥ n`; `queue`, `dirtyLeaves` have n slots and `marks`, `leafMarks` n
/// entries. A row is in the queue at most once (guarded by `marks[row] == epoch`), so the ring never overflows, and
/// in `dirtyLeaves` at most once per run. No pointer escapes the call.
struct PushKernel {
    let columnPointers: UnsafePointer<Int>
    let columnRows: UnsafePointer<Int32>
    let columnValues: UnsafePointer<Double>
    let diagonalPositions: UnsafePointer<Int>
    let matrixValues: UnsafePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let r: UnsafeMutablePointer<Double>
    let tree: UnsafeMutablePointer<Double>
    let treeCapacity: Int
    let queue: UnsafeMutablePointer<Int32>
    let marks: UnsafeMutablePointer<UInt32>
    let dirtyLeaves: UnsafeMutablePointer<Int32>
    let leafMarks: UnsafeMutablePointer<UInt32>
    let n: Int
    let epoch: UInt32
    let leafEpoch: UInt32

    struct Outcome {
        var work = 0
        var pushes = 0
        /// Rows recorded in `dirtyLeaves`.
        var dirtyCount = 0
        /// ‖r‖₂² kept as a running sum during the run (the tree's root is exact again after the refresh).
        var normSquared = 0.0
        /// A queued row whose diagonal is zero or missing: push cannot divide by it.
        var zeroPivotRow: Int?
    }

    /// Writes `r_i²` into its leaf, records the row once per run and updates the running norm.
    @inline(__always)
    func setLeaf(_ i: Int, _ value: Double, _ outcome: inout Outcome) {
        let leaf = treeCapacity + i
        outcome.normSquared += value * value - tree[leaf]
        tree[leaf] = value * value
        if leafMarks[i] != leafEpoch {
            leafMarks[i] = leafEpoch
            dirtyLeaves[outcome.dirtyCount] = Int32(truncatingIfNeeded: i)
            outcome.dirtyCount += 1
        }
    }

    /// Pushes queued rows whose |r_i| exceeds `threshold` until the queue empties, `workBudget` entries have been
    /// touched, or the running ‖r‖₂² (starting from `normSquared`) is at most `stopNormSquared`. `head`/`count`
    /// describe the ring and are updated in place.
    func run(threshold: Double, workBudget: Int, normSquared: Double, stopNormSquared: Double,
             head: inout Int, count: inout Int) -> Outcome {
        var outcome = Outcome()
        outcome.normSquared = normSquared
        while count > 0, outcome.work < workBudget, outcome.normSquared > stopNormSquared {
            let i = Int(queue[head])
            head = head + 1 == n ? 0 : head + 1
            count -= 1
            marks[i] = 0
            let ri = r[i]
            guard abs(ri) > threshold else { continue }
            let dp = diagonalPositions[i]
            let aii = dp >= 0 ? matrixValues[dp] : 0
            guard aii != 0 else {
                outcome.zeroPivotRow = i
                return outcome
            }
            let delta = ri / aii
            x[i] += delta
            r[i] = 0
            setLeaf(i, 0, &outcome)
            var k = columnPointers[i]
            let end = columnPointers[i + 1]
            outcome.work += end - k + 1
            outcome.pushes += 1
            while k < end {
                let j = Int(columnRows[k])
                if j != i {
                    let rj = r[j] - columnValues[k] * delta
                    r[j] = rj
                    setLeaf(j, rj, &outcome)
                    if abs(rj) > threshold, marks[j] != epoch {
                        marks[j] = epoch
                        var tail = head + count
                        if tail >= n { tail -= n }
                        queue[tail] = Int32(truncatingIfNeeded: j)
                        count += 1
                    }
                }
                k &+= 1
            }
        }
        return outcome
    }
}

extension PushKernel {
    /// Binds a kernel to the system's buffers for the duration of `body`. The residual tree must be current.
    static func withKernel<R>(
        on system: LiveSystem, queue: inout [Int32], marks: inout [UInt32], epoch: UInt32,
        dirtyLeaves: inout [Int32], leafMarks: inout [UInt32], leafEpoch: UInt32,
        _ body: (PushKernel) -> R
    ) -> R {
        precondition(system.residualTreeIsCurrent && system.pendingTreeLeaves.isEmpty && system.pendingInsertions.isEmpty,
                     "push needs a current residual tree and a compact matrix")
        let n = system.dimension
        precondition(queue.count == n && marks.count == n && dirtyLeaves.count == n && leafMarks.count == n)
        let columns = system.columns
        let values = system.matrix.values
        let diagonal = system.diagonalPositions
        return columns.rowPointers.withUnsafeBufferPointer { cp in
            columns.colIndices.withUnsafeBufferPointer { cr in
                columns.values.withUnsafeBufferPointer { cv in
                    diagonal.withUnsafeBufferPointer { dp in
                        values.withUnsafeBufferPointer { mv in
                            queue.withUnsafeMutableBufferPointer { q in
                                marks.withUnsafeMutableBufferPointer { m in
                                  dirtyLeaves.withUnsafeMutableBufferPointer { dl in
                                   leafMarks.withUnsafeMutableBufferPointer { lm in
                                    system.x.withUnsafeMutableBufferPointer { xv in
                                        system.r.withUnsafeMutableBufferPointer { rv in
                                            system.residualTree.withNodes { nodes, capacity in
                                                body(PushKernel(
                                                    columnPointers: cp.baseAddress!, columnRows: cr.baseAddress!,
                                                    columnValues: cv.baseAddress!, diagonalPositions: dp.baseAddress!,
                                                    matrixValues: mv.baseAddress!, x: xv.baseAddress!, r: rv.baseAddress!,
                                                    tree: nodes, treeCapacity: capacity, queue: q.baseAddress!,
                                                    marks: m.baseAddress!, dirtyLeaves: dl.baseAddress!,
                                                    leafMarks: lm.baseAddress!, n: n, epoch: epoch, leafEpoch: leafEpoch))
                                            }
                                        }
                                    }
                                   }
                                  }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
