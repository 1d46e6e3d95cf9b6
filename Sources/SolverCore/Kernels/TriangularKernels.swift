/// Sparse triangular solves for the incomplete factorisations (IC(0), ILU(0)).
///
/// Invariants: `CSRMatrix`'s (row pointers non-decreasing, columns strictly increasing within a row and in
/// `0..<cols`), plus `diagonalPositions[i]` lies inside row `i` and holds its diagonal entry (the factorisation
/// checked this when it was built), so the entries before it in the row have columns `< i` and those after it
/// columns `> i`. Vector lengths are checked once per call; no pointer escapes a call. Sequential by nature.
enum TriangularKernels {
    /// Solves `L y = rhs` where `L` is the lower triangle of `m` up to its diagonal; `unitDiagonal` treats the
    /// diagonal as 1 (the L of ILU(0)), otherwise divides by the stored diagonal.
    static func forwardSubstitute(_ m: CSRMatrix, diagonalPositions: [Int], unitDiagonal: Bool, _ rhs: [Double], into y: inout [Double]) {
        precondition(diagonalPositions.count == m.rows && rhs.count == m.rows && y.count == m.rows, "forwardSubstitute: lengths differ")
        m.rowPointers.withUnsafeBufferPointer { rp in
            m.colIndices.withUnsafeBufferPointer { ci in
                m.values.withUnsafeBufferPointer { mv in
                    diagonalPositions.withUnsafeBufferPointer { dp in
                        rhs.withUnsafeBufferPointer { bv in
                            y.withUnsafeMutableBufferPointer { yv in
                                let (rpB, ciB, mB, dpB, bB, yB) = (rp.baseAddress!, ci.baseAddress!, mv.baseAddress!, dp.baseAddress!, bv.baseAddress!, yv.baseAddress!)
                                for i in 0..<m.rows {
                                    var sum = bB[i]
                                    var k = rpB[i]
                                    let diagonal = dpB[i]
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
    static func backwardSubstitute(_ m: CSRMatrix, diagonalPositions: [Int], _ y: inout [Double]) {
        precondition(diagonalPositions.count == m.rows && y.count == m.rows, "backwardSubstitute: lengths differ")
        m.rowPointers.withUnsafeBufferPointer { rp in
            m.colIndices.withUnsafeBufferPointer { ci in
                m.values.withUnsafeBufferPointer { mv in
                    diagonalPositions.withUnsafeBufferPointer { dp in
                        y.withUnsafeMutableBufferPointer { yv in
                            let (rpB, ciB, mB, dpB, yB) = (rp.baseAddress!, ci.baseAddress!, mv.baseAddress!, dp.baseAddress!, yv.baseAddress!)
                            var i = m.rows - 1
                            while i >= 0 {
                                let diagonal = dpB[i]
                                var sum = yB[i]
                                var k = diagonal + 1
                                let end = rpB[i + 1]
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
}
