/// Kernels of the stationary methods (Jacobi, Gauss–Seidel/SOR, the Neumann series), which scale by the inverse
/// diagonal `d = 1 / diag(A)` computed (and checked non-zero) by the method's `restart`.
///
/// Invariants: `CSRMatrix`'s (row pointers non-decreasing and ending at nnz, column indices in `0..<cols`); every
/// vector has the matrix dimension, checked by the `precondition` at the top of each call, so the loops read through
/// raw pointers without bounds checks. No pointer escapes a call.
enum RelaxationKernels {
    /// Weighted Jacobi correction `x += ω D⁻¹ r`.
    static func scaledCorrection(weight: Double, inverseDiagonal: [Double], r: [Double], x: inout [Double], loop: some ParallelLoop) {
        precondition(inverseDiagonal.count == x.count && r.count == x.count, "scaledCorrection: lengths differ")
        inverseDiagonal.withUnsafeBufferPointer { dv in
            r.withUnsafeBufferPointer { rv in
                x.withUnsafeMutableBufferPointer { xv in
                    let (dB, rB, xB) = (dv.baseAddress!, rv.baseAddress!, xv.baseAddress!)
                    _ = VectorChunking.sum(count: xv.count, loop: loop) { range in
                        for i in range { xB[i] += weight * dB[i] * rB[i] }
                        return .zero
                    }
                }
            }
        }
    }

    /// One forward Gauss–Seidel/SOR sweep in place: for each row in order,
    /// `x_i += ω d_i (b_i − Σ_j a_ij x_j)`, using the entries already updated in this sweep. Sequential by nature.
    static func forwardSweep(_ a: CSRMatrix, b: [Double], inverseDiagonal: [Double], relaxation: Double, x: inout [Double]) {
        precondition(a.rows == a.cols && b.count == a.rows && inverseDiagonal.count == a.rows && x.count == a.rows,
                     "forwardSweep: lengths differ")
        a.rowPointers.withUnsafeBufferPointer { rp in
            a.colIndices.withUnsafeBufferPointer { ci in
                a.values.withUnsafeBufferPointer { av in
                    b.withUnsafeBufferPointer { bv in
                        inverseDiagonal.withUnsafeBufferPointer { dv in
                            x.withUnsafeMutableBufferPointer { xv in
                                let (rpB, ciB, avB, bB, dB, xB) = (rp.baseAddress!, ci.baseAddress!, av.baseAddress!, bv.baseAddress!, dv.baseAddress!, xv.baseAddress!)
                                for i in 0..<a.rows {
                                    var residual = bB[i]
                                    var k = Int(rpB[i])
                                    let end = Int(rpB[i + 1])
                                    while k < end {
                                        residual -= avB[k] * xB[Int(ciB[k])]
                                        k &+= 1
                                    }
                                    xB[i] += relaxation * dB[i] * residual
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Neumann series step, with `q = A t` for the current term `t`: `x += t`, `r −= q`, `t −= D⁻¹ q` (the next
    /// term `(I − D⁻¹A) t`). Returns `‖r‖²`.
    static func neumannTerm(q: [Double], inverseDiagonal: [Double], x: inout [Double], r: inout [Double], term t: inout [Double], loop: some ParallelLoop) -> Double {
        let n = x.count
        precondition(q.count == n && inverseDiagonal.count == n && r.count == n && t.count == n, "neumannTerm: lengths differ")
        return q.withUnsafeBufferPointer { qv in
            inverseDiagonal.withUnsafeBufferPointer { dv in
                x.withUnsafeMutableBufferPointer { xv in
                    r.withUnsafeMutableBufferPointer { rv in
                        t.withUnsafeMutableBufferPointer { tv in
                            let (qB, dB, xB, rB, tB) = (qv.baseAddress!, dv.baseAddress!, xv.baseAddress!, rv.baseAddress!, tv.baseAddress!)
                            return VectorChunking.sum(count: n, loop: loop) { range in
                                var rr = 0.0
                                for i in range {
                                    let qi = qB[i]
                                    xB[i] += tB[i]
                                    let ri = rB[i] - qi
                                    rB[i] = ri
                                    rr += ri * ri
                                    tB[i] -= dB[i] * qi
                                }
                                return SIMD2(rr, 0)
                            }.x
                        }
                    }
                }
            }
        }
    }

    /// `y = D⁻¹ x` (Jacobi preconditioner, first Neumann term).
    static func scale(_ x: [Double], by inverseDiagonal: [Double], into y: inout [Double]) {
        precondition(x.count == inverseDiagonal.count && y.count == x.count, "scale: lengths differ")
        x.withUnsafeBufferPointer { xv in
            inverseDiagonal.withUnsafeBufferPointer { dv in
                y.withUnsafeMutableBufferPointer { yv in
                    for i in 0..<xv.count { yv[i] = dv[i] * xv[i] }
                }
            }
        }
    }
}
