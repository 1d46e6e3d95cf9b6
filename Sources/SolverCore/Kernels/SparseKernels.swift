/// Sparse matrix–vector kernels over `CSRMatrix`.
///
/// Invariant relied on (established by `CSRMatrix`'s initialiser): `rowPointers` has `rows + 1` non-decreasing
/// entries ending at `nnz`, and every column index is in `0..<cols`. Callers pass vectors of the right length
/// (`x.count >= cols`, `y.count >= rows`), checked by `precondition` once per call, so the loops read through raw
/// pointers without per-element bounds checks. No pointer escapes a call.
public enum SparseKernels {
    /// Rows per matrix below which a kernel runs on the calling thread only: splitting costs more than it saves.
    public static let parallelRowThreshold = 20_000

    /// `y = A x`.
    public static func multiply(_ a: CSRMatrix, _ x: [Double], into y: inout [Double], loop: some ParallelLoop = .sequential) {
        precondition(x.count >= a.cols && y.count >= a.rows, "multiply: vector lengths do not match the matrix")
        a.rowPointers.withUnsafeBufferPointer { rp in
            a.colIndices.withUnsafeBufferPointer { ci in
                a.values.withUnsafeBufferPointer { av in
                    x.withUnsafeBufferPointer { xv in
                        y.withUnsafeMutableBufferPointer { yv in
                            let (rpB, ciB, avB, xB, yB) = (rp.baseAddress!, ci.baseAddress!, av.baseAddress!, xv.baseAddress!, yv.baseAddress!)
                            _ = forEachRowRange(a, loop: loop) { rowRange in
                                var k = Int(rpB[rowRange.lowerBound])
                                for i in rowRange {
                                    // Two accumulators let consecutive gathers overlap instead of waiting on one add chain.
                                    var sum0 = 0.0, sum1 = 0.0
                                    let end = Int(rpB[i + 1])
                                    while k &+ 1 < end {
                                        sum0 += avB[k] * xB[Int(ciB[k])]
                                        sum1 += avB[k &+ 1] * xB[Int(ciB[k &+ 1])]
                                        k &+= 2
                                    }
                                    if k < end {
                                        sum0 += avB[k] * xB[Int(ciB[k])]
                                        k &+= 1
                                    }
                                    yB[i] = sum0 + sum1
                                }
                                return 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// `r = b − A x`; returns `‖r‖₂²`.
    @discardableResult
    public static func residual(
        _ a: CSRMatrix, b: [Double], x: [Double], into r: inout [Double], loop: some ParallelLoop = .sequential
    ) -> Double {
        precondition(x.count >= a.cols && b.count >= a.rows && r.count >= a.rows, "residual: vector lengths do not match")
        return a.rowPointers.withUnsafeBufferPointer { rp in
            a.colIndices.withUnsafeBufferPointer { ci in
                a.values.withUnsafeBufferPointer { av in
                    x.withUnsafeBufferPointer { xv in
                        b.withUnsafeBufferPointer { bv in
                            r.withUnsafeMutableBufferPointer { rv in
                                let (rpB, ciB, avB, xB, bB, rB) = (rp.baseAddress!, ci.baseAddress!, av.baseAddress!, xv.baseAddress!, bv.baseAddress!, rv.baseAddress!)
                                return forEachRowRange(a, loop: loop) { rowRange in
                                    var normSquared = 0.0
                                    var k = Int(rpB[rowRange.lowerBound])
                                    for i in rowRange {
                                        var sum0 = bB[i], sum1 = 0.0
                                        let end = Int(rpB[i + 1])
                                        while k &+ 1 < end {
                                            sum0 -= avB[k] * xB[Int(ciB[k])]
                                            sum1 -= avB[k &+ 1] * xB[Int(ciB[k &+ 1])]
                                            k &+= 2
                                        }
                                        if k < end {
                                            sum0 -= avB[k] * xB[Int(ciB[k])]
                                            k &+= 1
                                        }
                                        let sum = sum0 + sum1
                                        rB[i] = sum
                                        normSquared += sum * sum
                                    }
                                    return normSquared
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `(A x)_row`: one row's dot product, O(row length).
    @inlinable
    public static func rowDot(_ a: CSRMatrix, row: Int, _ x: [Double]) -> Double {
        var sum = 0.0
        for k in a.rowPointers[row]..<a.rowPointers[row + 1] {
            sum += a.values[k] * x[Int(a.colIndices[k])]
        }
        return sum
    }

    /// Splits the rows into chunks of about equal nonzero count, runs `body` on each (in parallel when the matrix
    /// is large and the loop is wider than one) and returns the sum of what the chunks returned.
    static func forEachRowRange(_ a: CSRMatrix, loop: some ParallelLoop, _ body: (Range<Int>) -> Double) -> Double {
        let rows = a.rows
        guard rows >= parallelRowThreshold, loop.width > 1 else { return body(0..<rows) }
        let chunks = loop.width * 4
        let bounds = balancedRowBounds(a, chunks: chunks)
        var partials = [Double](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { out in
            let outB = out.baseAddress!
            loop.run(chunks: chunks) { c in outB[c] = body(bounds[c]..<bounds[c + 1]) }
        }
        return partials.reduce(0, +)
    }

    /// Row boundaries that split the nonzeros into `chunks` nearly equal parts (binary search on row pointers).
    static func balancedRowBounds(_ a: CSRMatrix, chunks: Int) -> [Int] {
        var bounds = [Int](repeating: 0, count: chunks + 1)
        bounds[chunks] = a.rows
        let nnz = a.nnz
        for c in 1..<chunks {
            let target = nnz * c / chunks
            var low = bounds[c - 1]
            var high = a.rows
            while low < high {
                let mid = (low + high) >> 1
                if a.rowPointers[mid] < target { low = mid + 1 } else { high = mid }
            }
            bounds[c] = low
        }
        return bounds
    }
}
