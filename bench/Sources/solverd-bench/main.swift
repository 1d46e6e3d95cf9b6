import Foundation

/// `solverd-bench core`: measures the SolverCore kernels and prints one JSON object on stdout (progress on
/// stderr). `bench/bench_core.py` runs it and measures scipy in the same run.
let usage = "usage: solverd-bench core [--only spmv|cg|reconvergence|reconvergence_dominant|estimate|updates ...]"

func progress(_ message: String) {
    FileHandle.standardError.write(Data("solverd-bench: \(message)\n".utf8))
}

/// Runs the core benchmarks (all of them, or only those named after `--only`, for profiling).
func runCore(only: Set<String>) throws -> [String: Any] {
    let shift = 0.01
    let started = Date()
    var result: [String: Any] = ["mode": "core", "build": "release"]
    func part(_ name: String, _ body: () throws -> Any) rethrows {
        guard only.isEmpty || only.contains(name) else { return }
        progress(name)
        result[name] = try body()
    }
    part("spmv") { SpMVBenchmark.run(side: 1000) }
    try part("cg") { try ConjugateGradientBenchmark.run(side: 1000, shift: shift) }
    try part("reconvergence") {
        try [100, 316, 1000].map { try ReconvergenceBenchmark.run(side: $0, shift: shift) }
    }
    // The same change sets on the strongly dominant matrix of the estimates, where corrections stay local.
    try part("reconvergence_dominant") {
        try [100, 316, 1000].map { try ReconvergenceBenchmark.run(side: $0, shift: 1.0) }
    }
    try part("estimate") { try [100, 1000].map { try EstimateBenchmark.run(side: $0, shift: 1.0) } }
    try part("updates") { try UpdateRateBenchmark.run(side: 1000, shift: shift) }
    result["total_seconds"] = Date().timeIntervalSince(started)
    return result
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "core" else {
    FileHandle.standardError.write(Data("\(usage)\n".utf8))
    exit(2)
}
do {
    let json = try JSONSerialization.data(withJSONObject: try runCore(only: Set(arguments.drop(while: { $0 != "--only" }).dropFirst())), options: [.sortedKeys])
    FileHandle.standardOutput.write(json)
    FileHandle.standardOutput.write(Data("\n".utf8))
} catch {
    FileHandle.standardError.write(Data("solverd-bench: \(error)\n".utf8))
    exit(1)
}
