/// Per-row bookkeeping of forward push, kept together so one cache line answers every question the inner loop
/// asks about a row (three separate arrays cost three cache misses per touched row on a cold system). 16-bit
/// epochs (6 bytes a row): a wrap-around clears every mark, once per 65,535 epochs.
struct PushRowMarks {
    /// Equal to the push's queue epoch while the row waits in the queue.
    var queued: UInt16 = 0
    /// Equal to the touch epoch once the row's residual changed (or it was seeded) since the last restart.
    var touched: UInt16 = 0
    /// Equal to the dirty epoch once the row's residual changed since the sum tree was last refreshed.
    var dirty: UInt16 = 0
}

/// The inner loop of forward push (Gauss–Southwell local residual push) on raw buffers.
///
/// Pushing row i moves its residual into x: `δ = ω · r_i / a_ii`, `x_i += δ`, `r_i −= a_ii · δ` (0 for ω = 1), and
/// for every other entry `a_ji` of column i, `r_j −= a_ji · δ`. The sum tree is not written here: every changed row is recorded once in
/// `dirtyRows` (its leaf is refreshed from `r` afterwards, once per row instead of once per entry) and once per
/// restart in `touchedRows` (where lower thresholds look for work). ‖r‖₂² is carried as a running sum, good enough
/// to decide when to stop a run; the caller makes it exact from the refreshed tree.
///
/// Invariants the caller guarantees: `columns` is Aᵀ in canonical CSR (row i of it is column i of A, at most one
/// entry per (i, j)) with every index < n; `x`, `r`, `rowMarks` have n entries; `queue` (a ring), `dirtyRows` and
/// `touchedRows` have their capacities' slots, at most n. A row is in the queue at most once (`queued ==
/// queueEpoch`) and in each list at most once per epoch, so a list of n slots never overflows; a smaller one might,
/// so before pushing a row the kernel checks that every list has room for the whole column and otherwise stops
/// with the row back in the queue (`Outcome.roomNeeded`), for the caller to grow the lists. No pointer escapes.
struct PushKernel {
    let columnPointers: UnsafePointer<UInt32>
    let columnRows: UnsafePointer<Int32>
    let columnValues: UnsafePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let r: UnsafeMutablePointer<Double>
    let rowMarks: UnsafeMutablePointer<PushRowMarks>
    let queue: UnsafeMutablePointer<Int32>
    let dirtyRows: UnsafeMutablePointer<Int32>
    let touchedRows: UnsafeMutablePointer<Int32>
    let n: Int
    let capacities: Capacities
    let epochs: Epochs

    /// Slots of the queue ring and of the two row lists.
    struct Capacities {
        var queue: Int
        var dirty: Int
        var touched: Int
    }

    /// The current epoch of each mark in `PushRowMarks`.
    struct Epochs {
        var queue: UInt16
        var touch: UInt16
        var dirty: UInt16
    }

    /// Where the run stopped; the list lengths and the ring are carried in and out.
    struct State {
        var head = 0
        var count = 0
        var dirtyCount = 0
        var touchedCount = 0
        /// Running ‖r‖₂² (not exact: `+ new² − old²` per change).
        var normSquared = 0.0
    }

    struct Outcome {
        var work = 0
        var pushes = 0
        /// A queued row whose diagonal is zero or missing: push cannot divide by it.
        var zeroPivotRow: Int?
        /// The run stopped before pushing a row whose column (this many entries) might not fit in a list.
        var roomNeeded: Int?
    }

    /// Records that row `i`'s residual changed: in `dirtyRows` once per dirty epoch, in `touchedRows` once per
    /// touch epoch.
    @inline(__always)
    func noteChanged(_ i: Int, _ state: inout State) {
        if rowMarks[i].dirty != epochs.dirty {
            rowMarks[i].dirty = epochs.dirty
            dirtyRows[state.dirtyCount] = Int32(truncatingIfNeeded: i)
            state.dirtyCount += 1
        }
        if rowMarks[i].touched != epochs.touch {
            rowMarks[i].touched = epochs.touch
            touchedRows[state.touchedCount] = Int32(truncatingIfNeeded: i)
            state.touchedCount += 1
        }
    }

    /// Whether pushing a column of `entries` entries cannot overflow a list (one of n slots never can).
    @inline(__always)
    func hasRoom(for entries: Int, _ state: State) -> Bool {
        (capacities.queue >= n || state.count + entries <= capacities.queue)
            && (capacities.dirty >= n || state.dirtyCount + entries <= capacities.dirty)
            && (capacities.touched >= n || state.touchedCount + entries <= capacities.touched)
    }

    /// Pushes queued rows whose |r_i| exceeds `threshold` (each by `relaxation` times its residual over a_ii) until
    /// the queue empties, `workBudget` entries have been touched, or the running ‖r‖₂² is at most `stopNormSquared`.
    func run(threshold: Double, relaxation: Double, workBudget: Int, stopNormSquared: Double, state: inout State) -> Outcome {
        // Copies in locals: stores through `r`/`x` could alias `self` as far as the compiler knows, which would
        // reload every field on every entry.
        let (columnPointers, columnRows, columnValues) = (self.columnPointers, self.columnRows, self.columnValues)
        let (x, r, rowMarks, queue, queueEpoch) = (self.x, self.r, self.rowMarks, self.queue, epochs.queue)
        let ring = capacities.queue
        var outcome = Outcome()
        var normSquared = state.normSquared
        while state.count > 0, outcome.work < workBudget, normSquared > stopNormSquared {
            let i = Int(queue[state.head])
            let previousHead = state.head
            state.head = state.head + 1 == ring ? 0 : state.head + 1
            state.count -= 1
            rowMarks[i].queued = 0
            let ri = r[i]
            guard abs(ri) > threshold else { continue }
            let start = Int(columnPointers[i])
            let end = Int(columnPointers[i + 1])
            guard hasRoom(for: end - start, state) else {
                // Back at the head of the queue, as it was.
                (state.head, state.count, rowMarks[i].queued) = (previousHead, state.count + 1, queueEpoch)
                outcome.roomNeeded = end - start
                break
            }
            // a_ii from column i itself (already being read), not from a separate diagonal index and the row copy.
            var aii = 0.0
            for k in start..<end where Int(columnRows[k]) == i { aii = columnValues[k] }
            guard aii != 0 else {
                outcome.zeroPivotRow = i
                break
            }
            // Over-relaxed only where a_ii > 0 (the energy argument needs it); r_i keeps (1 − ω) of its value.
            let delta = (aii > 0 ? relaxation : 1) * ri / aii
            x[i] += delta
            let newRi = ri - aii * delta
            r[i] = newRi
            normSquared += newRi * newRi - ri * ri
            noteChanged(i, &state)
            outcome.work += end - start + 1
            outcome.pushes += 1
            for k in start..<end {
                let j = Int(columnRows[k])
                guard j != i else { continue }
                let old = r[j]
                let rj = old - columnValues[k] * delta
                r[j] = rj
                normSquared += rj * rj - old * old
                noteChanged(j, &state)
                if abs(rj) > threshold, rowMarks[j].queued != queueEpoch {
                    rowMarks[j].queued = queueEpoch
                    var tail = state.head + state.count
                    if tail >= ring { tail -= ring }
                    queue[tail] = Int32(truncatingIfNeeded: j)
                    state.count += 1
                }
            }
        }
        state.normSquared = max(0, normSquared)
        return outcome
    }
}

extension PushKernel {
    /// Binds a kernel to the system's buffers for the duration of `body`. The matrix must be compact.
    static func withKernel<R>(
        on system: LiveSystem, rowMarks: inout [PushRowMarks], queue: inout [Int32], dirtyRows: inout [Int32],
        touchedRows: inout [Int32], epochs: Epochs, _ body: (PushKernel) -> R
    ) -> R {
        precondition(system.pendingInsertions.isEmpty, "push needs a compact matrix")
        let n = system.dimension
        precondition(rowMarks.count == n && (1...n).contains(queue.count) && (1...n).contains(dirtyRows.count)
                     && (1...n).contains(touchedRows.count))
        let capacities = Capacities(queue: queue.count, dirty: dirtyRows.count, touched: touchedRows.count)
        let columns = system.columns
        return columns.rowPointers.withUnsafeBufferPointer { cp in
            columns.colIndices.withUnsafeBufferPointer { cr in
                columns.values.withUnsafeBufferPointer { cv in
                    rowMarks.withUnsafeMutableBufferPointer { marks in
                        queue.withUnsafeMutableBufferPointer { q in
                            dirtyRows.withUnsafeMutableBufferPointer { dirty in
                                touchedRows.withUnsafeMutableBufferPointer { touched in
                                    system.x.withUnsafeMutableBufferPointer { xv in
                                        system.r.withUnsafeMutableBufferPointer { rv in
                                            body(PushKernel(
                                                columnPointers: cp.baseAddress!, columnRows: cr.baseAddress!,
                                                columnValues: cv.baseAddress!, x: xv.baseAddress!, r: rv.baseAddress!,
                                                rowMarks: marks.baseAddress!, queue: q.baseAddress!,
                                                dirtyRows: dirty.baseAddress!, touchedRows: touched.baseAddress!,
                                                n: n, capacities: capacities, epochs: epochs))
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
