/// Sparse triangular solves for the incomplete factorisations (IC(0), ILU(0)).
///
/// Invariants: `CSRMatrix`'s (row pointers non-decreasing, columns strictly increasing within a row and in
/// `0..<cols`), plus the diagonal of row `i` is stored inside row `i` — at `diagonalPositions[i]`, or last in the row
/// when no positions are given (the factorisation checked this when it was built) —, so the entries before it in
/// the row have columns `< i` and those after it columns `> i`. Vector lengths are checked once per call; no
/// pointer escapes a call. Sequential by nature.
enum TriangularKernels {
    /// Solves `L y = rhs` where `L` is the lower triangle of `m` up to its diagonal; `unitDiagonal` treats the
    /// diagonal as 1 (the L of ILU(0)), otherwise divides by the stored diagonal. `diagonalPositions` nil: the
    /// diagonal is the last entry of each row (IC(0)'s `L`).
    static func forwardSubstitute(_ m: CSRMatrix, diagonalPositions: [Int32]?, unitDiagonal: Bool, _ rhs: [Double],
                                  into y: inout [Double]) {
        precondition((diagonalPositions?.count ?? m.rows) == m.rows && rhs.count == m.rows && y.count == m.rows,
                     "forwardSubstitute: lengths differ")
        m.rowPointers.withUnsafeBufferPointer { rp in
            m.colIndices.withUnsafeBufferPointer { ci in
                m.values.withUnsafeBufferPointer { mv in
                    (diagonalPositions ?? []).withUnsafeBufferPointer { dp in
                        rhs.withUnsafeBufferPointer { bv in
                            y.withUnsafeMutableBufferPointer { yv in
                                let (rpB, ciB, mB, bB, yB) = (rp.baseAddress!, ci.baseAddress!, mv.baseAddress!, bv.baseAddress!, yv.baseAddress!)
                                let dpB = diagonalPositions == nil ? nil : dp.baseAddress
                                for i in 0..<m.rows {
                                    var sum = bB[i]
                                    var k = Int(rpB[i])
                                    let diagonal = dpB.map { Int($0[i]) } ?? Int(rpB[i + 1]) - 1
                                    while k < diagonal {
                                        sum -= mB[k] * yB[Int(ciB[k])]
                                        k &+= 1
                                    }
                                    yB[i] = unitDiagonal ? sum : sum / mB[diagonal]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Solves `U z = y` in place (`y` becomes `z`), where `U` is the upper triangle of `m` from its diagonal.
    static func backwardSubstitute(_ m: CSRMatrix, diagonalPositions: [Int32], _ y: inout [Double]) {
        precondition(diagonalPositions.count == m.rows && y.count == m.rows, "backwardSubstitute: lengths differ")
        m.rowPointers.withUnsafeBufferPointer { rp in
            m.colIndices.withUnsafeBufferPointer { ci in
                m.values.withUnsafeBufferPointer { mv in
                    diagonalPositions.withUnsafeBufferPointer { dp in
                        y.withUnsafeMutableBufferPointer { yv in
                            let (rpB, ciB, mB, dpB, yB) = (rp.baseAddress!, ci.baseAddress!, mv.baseAddress!, dp.baseAddress!, yv.baseAddress!)
                            var i = m.rows - 1
                            while i >= 0 {
                                let diagonal = Int(dpB[i])
                                var sum = yB[i]
                                var k = diagonal + 1
                                let end = Int(rpB[i + 1])
                                while k < end {
                                    sum -= mB[k] * yB[Int(ciB[k])]
                                    k &+= 1
                                }
                                yB[i] = sum / mB[diagonal]
                                i -= 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Solves `Lᵀ z = y` in place, where `L` is lower triangular with its diagonal last in each row (IC(0)'s
    /// factor): column-oriented, so no transposed copy of `L` is needed. Once `z_i` is known, row `i` of `L` (column
    /// `i` of `Lᵀ`) is subtracted from the entries above it.
    static func transposedBackwardSubstitute(_ lower: CSRMatrix, _ y: inout [Double]) {
        precondition(y.count == lower.rows, "transposedBackwardSubstitute: lengths differ")
        lower.rowPointers.withUnsafeBufferPointer { rp in
            lower.colIndices.withUnsafeBufferPointer { ci in
                lower.values.withUnsafeBufferPointer { lv in
                    y.withUnsafeMutableBufferPointer { yv in
                        let (rpB, ciB, lB, yB) = (rp.baseAddress!, ci.baseAddress!, lv.baseAddress!, yv.baseAddress!)
                        var i = lower.rows - 1
                        while i >= 0 {
                            let start = Int(rpB[i])
                            let diagonal = Int(rpB[i + 1]) - 1
                            let zi = yB[i] / lB[diagonal]
                            yB[i] = zi
                            var k = start
                            while k < diagonal {
                                yB[Int(ciB[k])] -= lB[k] * zi
                                k &+= 1
                            }
                            i -= 1
                        }
                    }
                }
            }
        }
    }
}
