/// Dense vector kernels used by the iterative methods. Lengths are checked once per call; the loops are plain
/// contiguous passes the optimiser vectorises. No pointer escapes a call.
public enum VectorKernels {
    @inlinable
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ")
        return x.withUnsafeBufferPointer { xv in
            y.withUnsafeBufferPointer { yv in
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let n = xv.count
                var i = 0
                while i + 4 <= n {
                    s0 += xv[i] * yv[i]; s1 += xv[i + 1] * yv[i + 1]
                    s2 += xv[i + 2] * yv[i + 2]; s3 += xv[i + 3] * yv[i + 3]
                    i += 4
                }
                while i < n { s0 += xv[i] * yv[i]; i += 1 }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }

    @inlinable
    public static func normSquared(_ x: [Double]) -> Double { dot(x, x) }

    @inlinable
    public static func norm(_ x: [Double]) -> Double { normSquared(x).squareRoot() }

    /// `y += alpha * x`.
    @inlinable
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        precondition(x.count == y.count, "axpy: lengths differ")
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                for i in 0..<xv.count { yv[i] += alpha * xv[i] }
            }
        }
    }

    /// `y = x + beta * y`.
    @inlinable
    public static func xpby(_ x: [Double], _ beta: Double, _ y: inout [Double]) {
        precondition(x.count == y.count, "xpby: lengths differ")
        x.withUnsafeBufferPointer { xv in
            y.withUnsafeMutableBufferPointer { yv in
                for i in 0..<xv.count { yv[i] = xv[i] + beta * yv[i] }
            }
        }
    }
}
