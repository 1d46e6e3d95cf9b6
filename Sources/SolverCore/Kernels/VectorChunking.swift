/// Splits an index range `0..<count` into contiguous chunks for the fused vector and matrix kernels, running them on
/// a `ParallelLoop` when the work is large enough, and sums what the chunks return.
///
/// Invariant: the ranges handed to `body` are disjoint and cover `0..<count` (or `0..<rows`) exactly once, so a
/// body that writes only indices inside its range never races with another chunk.
enum VectorChunking {
    /// Vector length below which chunking costs more than it saves.
    static let parallelLengthThreshold = 32_768

    /// Runs `body` over contiguous pieces of `0..<count` and returns the sum of the pairs they return.
    @inline(__always)
    static func sum(count: Int, loop: some ParallelLoop, _ body: (Range<Int>) -> SIMD2<Double>) -> SIMD2<Double> {
        guard count >= parallelLengthThreshold, loop.width > 1 else { return body(0..<count) }
        let chunks = loop.width * 2
        return collect(chunks: chunks, loop: loop) { c in body((count * c / chunks)..<(count * (c + 1) / chunks)) }
    }

    /// Runs `body` over row ranges of `a` holding about equal numbers of nonzeros and sums what they return.
    @inline(__always)
    static func sumOverRows(_ a: CSRMatrix, loop: some ParallelLoop, _ body: (Range<Int>) -> SIMD2<Double>) -> SIMD2<Double> {
        guard a.rows >= SparseKernels.parallelRowThreshold, loop.width > 1 else { return body(0..<a.rows) }
        let chunks = loop.width * 4
        let bounds = SparseKernels.balancedRowBounds(a, chunks: chunks)
        return collect(chunks: chunks, loop: loop) { c in body(bounds[c]..<bounds[c + 1]) }
    }

    private static func collect(chunks: Int, loop: some ParallelLoop, _ body: (Int) -> SIMD2<Double>) -> SIMD2<Double> {
        var partials = [SIMD2<Double>](repeating: .zero, count: chunks)
        partials.withUnsafeMutableBufferPointer { out in
            // Each chunk writes only its own slot.
            let slots = out.baseAddress!
            loop.run(chunks: chunks) { c in slots[c] = body(c) }
        }
        return partials.reduce(.zero, +)
    }
}
