import SolverCore
import SolverSession
import SolverTestSupport

/// (a) `y = A x` on the 5-point Laplacian, sequential and over a `ConcurrentLoop`.
enum SpMVBenchmark {
    static func run(side: Int, productsPerSample: Int = 10, repetitions: Int = 9) -> [String: Any] {
        let a = MatrixGenerators.laplacian2D(side: side)
        let x = MatrixGenerators.randomVector(a.cols)
        var y = [Double](repeating: 0, count: a.rows)
        let concurrent = ConcurrentLoop()
        func samples(_ loop: some ParallelLoop) -> Samples {
            Samples.measure(repetitions: repetitions, warmUp: 2) {
                for _ in 0..<productsPerSample { SparseKernels.multiply(a, x, into: &y, loop: loop) }
            }
        }
        let sequential = samples(.sequential)
        let parallel = samples(concurrent)
        let perProduct = 1 / Double(productsPerSample)
        return [
            "n": a.rows, "nnz": a.nnz, "side": side,
            "products_per_sample": productsPerSample,
            "sequential_seconds_per_product": sequential.json(scale: perProduct),
            "concurrent_seconds_per_product": parallel.json(scale: perProduct),
            "concurrent_width": concurrent.width,
            "checksum": y.reduce(0, +),
        ]
    }
}
