/// Fused kernels of the Krylov methods (CG, BiCGSTAB): each makes one pass over its vectors where the textbook
/// form makes two or three, because at large n every pass is memory-bound.
///
/// Invariants: `CSRMatrix`'s (row pointers non-decreasing and ending at nnz, column indices in `0..<cols`); every
/// vector has the length checked by the `precondition` at the top of each call, so the loops read through raw
/// pointers without bounds checks. Output vectors never alias inputs (Swift's exclusivity rules guarantee it for
/// `inout` arguments). No pointer escapes a call.
enum KrylovKernels {
    /// `y = A x`; returns `(y·w, y·y)` computed in the same pass.
    static func multiply(
        _ a: CSRMatrix, _ x: [Double], into y: inout [Double], dotWith w: [Double], loop: some ParallelLoop
    ) -> (yw: Double, yy: Double) {
        precondition(x.count == a.cols && y.count == a.rows && w.count == a.rows, "multiply: vector lengths do not match")
        let sums = a.rowPointers.withUnsafeBufferPointer { rp in
            a.colIndices.withUnsafeBufferPointer { ci in
                a.values.withUnsafeBufferPointer { av in
                    x.withUnsafeBufferPointer { xv in
                        w.withUnsafeBufferPointer { wv in
                            y.withUnsafeMutableBufferPointer { yv in
                                let (rpB, ciB, avB, xB, wB, yB) = (rp.baseAddress!, ci.baseAddress!, av.baseAddress!, xv.baseAddress!, wv.baseAddress!, yv.baseAddress!)
                                return VectorChunking.sumOverRows(a, loop: loop) { rows in
                                    var yw = 0.0, yy = 0.0
                                    for i in rows {
                                        var sum = 0.0
                                        var k = Int(rpB[i])
                                        let end = Int(rpB[i + 1])
                                        while k < end {
                                            sum += avB[k] * xB[Int(ciB[k])]
                                            k &+= 1
                                        }
                                        yB[i] = sum
                                        yw += sum * wB[i]
                                        yy += sum * sum
                                    }
                                    return SIMD2(yw, yy)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (sums.x, sums.y)
    }

    /// CG update `x += α p`, `r −= α q`, and, when `inverseDiagonal` is given, `z = D⁻¹ r`. Returns `(r·r, r·z)`
    /// (with `z = r` when no diagonal is given).
    static func conjugateGradientUpdate(
        alpha: Double, p: [Double], q: [Double], x: inout [Double], r: inout [Double],
        inverseDiagonal: [Double]?, z: inout [Double], loop: some ParallelLoop
    ) -> (rr: Double, rz: Double) {
        let n = r.count
        precondition(p.count == n && q.count == n && x.count == n, "conjugateGradientUpdate: lengths differ")
        precondition(inverseDiagonal.map { $0.count == n && z.count == n } ?? true, "conjugateGradientUpdate: lengths differ")
        let sums = p.withUnsafeBufferPointer { pv in
            q.withUnsafeBufferPointer { qv in
                x.withUnsafeMutableBufferPointer { xv in
                    r.withUnsafeMutableBufferPointer { rv in
                        let (pB, qB, xB, rB) = (pv.baseAddress!, qv.baseAddress!, xv.baseAddress!, rv.baseAddress!)
                        guard let inverseDiagonal else {
                            return VectorChunking.sum(count: n, loop: loop) { range in
                                var rr = 0.0
                                for i in range {
                                    xB[i] += alpha * pB[i]
                                    let ri = rB[i] - alpha * qB[i]
                                    rB[i] = ri
                                    rr += ri * ri
                                }
                                return SIMD2(rr, rr)
                            }
                        }
                        return inverseDiagonal.withUnsafeBufferPointer { dv in
                            z.withUnsafeMutableBufferPointer { zv in
                                let (dB, zB) = (dv.baseAddress!, zv.baseAddress!)
                                return VectorChunking.sum(count: n, loop: loop) { range in
                                    var rr = 0.0, rz = 0.0
                                    for i in range {
                                        xB[i] += alpha * pB[i]
                                        let ri = rB[i] - alpha * qB[i]
                                        rB[i] = ri
                                        let zi = dB[i] * ri
                                        zB[i] = zi
                                        rr += ri * ri
                                        rz += ri * zi
                                    }
                                    return SIMD2(rr, rz)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (sums.x, sums.y)
    }

    /// `y = x + β y`, chunked over the loop.
    static func xpby(_ x: [Double], _ beta: Double, _ y: inout [Double], loop: some ParallelLoop) {
        precondition(x.count == y.count, "xpby: lengths differ")
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                let (xB, yB) = (xv.baseAddress!, yv.baseAddress!)
                _ = VectorChunking.sum(count: xv.count, loop: loop) { range in
                    for i in range { yB[i] = xB[i] + beta * yB[i] }
                    return .zero
                }
            }
        }
    }

    /// `y += α x`; returns `(y·y, y·w)` after the update.
    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double], dotWith w: [Double], loop: some ParallelLoop) -> (yy: Double, yw: Double) {
        precondition(x.count == y.count && w.count == y.count, "axpy: lengths differ")
        let sums = x.withUnsafeBufferPointer { xv in
            w.withUnsafeBufferPointer { wv in
                y.withUnsafeMutableBufferPointer { yv in
                    let (xB, wB, yB) = (xv.baseAddress!, wv.baseAddress!, yv.baseAddress!)
                    return VectorChunking.sum(count: xv.count, loop: loop) { range in
                        var yy = 0.0, yw = 0.0
                        for i in range {
                            let yi = yB[i] + alpha * xB[i]
                            yB[i] = yi
                            yy += yi * yi
                            yw += yi * wB[i]
                        }
                        return SIMD2(yy, yw)
                    }
                }
            }
        }
        return (sums.x, sums.y)
    }

    /// BiCGSTAB search direction `p = r + β (p − ω v)`.
    static func bicgstabDirection(r: [Double], v: [Double], beta: Double, omega: Double, p: inout [Double], loop: some ParallelLoop) {
        precondition(r.count == p.count && v.count == p.count, "bicgstabDirection: lengths differ")
        r.withUnsafeBufferPointer { rv in
            v.withUnsafeBufferPointer { vv in
                p.withUnsafeMutableBufferPointer { pv in
                    let (rB, vB, pB) = (rv.baseAddress!, vv.baseAddress!, pv.baseAddress!)
                    _ = VectorChunking.sum(count: pv.count, loop: loop) { range in
                        for i in range { pB[i] = rB[i] + beta * (pB[i] - omega * vB[i]) }
                        return .zero
                    }
                }
            }
        }
    }

    /// BiCGSTAB closing update, with `r` holding `s` on entry: `x += α p̂ + ω ŝ`, `r = s − ω t`. When `sHat` is
    /// nil (no preconditioner) `ŝ = s` is read from `r` before it is overwritten. Returns `(r·r, r̂·r)`.
    static func bicgstabUpdate(
        alpha: Double, pHat: [Double], omega: Double, sHat: [Double]?, t: [Double], shadow: [Double],
        x: inout [Double], r: inout [Double], loop: some ParallelLoop
    ) -> (rr: Double, shadowR: Double) {
        let n = r.count
        precondition(pHat.count == n && t.count == n && shadow.count == n && x.count == n && (sHat?.count ?? n) == n,
                     "bicgstabUpdate: lengths differ")
        let sums = pHat.withUnsafeBufferPointer { pv in
            t.withUnsafeBufferPointer { tv in
                shadow.withUnsafeBufferPointer { hv in
                    x.withUnsafeMutableBufferPointer { xv in
                        r.withUnsafeMutableBufferPointer { rv in
                            let (pB, tB, hB, xB, rB) = (pv.baseAddress!, tv.baseAddress!, hv.baseAddress!, xv.baseAddress!, rv.baseAddress!)
                            // With no ŝ the s values are read from r itself, element by element, before the write.
                            func update(_ sB: UnsafePointer<Double>) -> SIMD2<Double> {
                                VectorChunking.sum(count: n, loop: loop) { range in
                                    var rr = 0.0, hr = 0.0
                                    for i in range {
                                        xB[i] += alpha * pB[i] + omega * sB[i]
                                        let ri = rB[i] - omega * tB[i]
                                        rB[i] = ri
                                        rr += ri * ri
                                        hr += hB[i] * ri
                                    }
                                    return SIMD2(rr, hr)
                                }
                            }
                            guard let sHat else { return update(UnsafePointer(rB)) }
                            return sHat.withUnsafeBufferPointer { update($0.baseAddress!) }
                        }
                    }
                }
            }
        }
        return (sums.x, sums.y)
    }
}
