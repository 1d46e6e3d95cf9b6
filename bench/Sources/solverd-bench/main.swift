import Foundation
import SolverCore

/// `solverd-bench core`: measures the SolverCore kernels and prints one JSON object on stdout (progress on
/// stderr). `bench/bench_core.py` runs it and measures scipy in the same run.
/// `solverd-bench sessions`: live sessions under update streams (`SessionsBenchmark`); `solverd-bench memory`: what
/// a CG session holds (`MemoryBenchmark`); `bench/bench_sessions.py` runs both and checks the targets.
let usage = """
    usage: solverd-bench core [--only spmv|cg|reconvergence|reconvergence_dominant|estimate|updates ...]
           solverd-bench sessions [--sessions N] [--seconds S]
           solverd-bench memory [--sessions N] [--preconditioner jacobi|ilu]
           solverd-bench direct [--sides 500,1000] [--shifts 1,0.2,0.05,0] [--outage-matrix A.mtx --outage-rhs b.mtx --outage-edges i:j,...]
    """

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

/// The number after `--name`, if given.
func option(_ name: String) -> Double? {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? Double(arguments[$0 + 1]) : nil }
}

do {
    let result: [String: Any]
    switch arguments.first {
    case "core":
        result = try runCore(only: Set(arguments.drop(while: { $0 != "--only" }).dropFirst()))
    case "sessions":
        var benchmark = SessionsBenchmark()
        if let count = option("--sessions") { benchmark.count = Int(count) }
        if let seconds = option("--seconds") { benchmark.phaseSeconds = seconds }
        result = try benchmark.run()
    case "memory":
        var benchmark = MemoryBenchmark()
        if let count = option("--sessions") { benchmark.sessions.count = Int(count) }
        if let name = arguments.firstIndex(of: "--preconditioner").map({ arguments[$0 + 1] }) {
            benchmark.preconditioner = try PreconditionerKind.parse(name)
        }
        result = try benchmark.run()
    case "direct":
        result = try DirectBenchmark.run(arguments: arguments)
    default:
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(2)
    }
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    FileHandle.standardOutput.write(json)
    FileHandle.standardOutput.write(Data("\n".utf8))
} catch {
    FileHandle.standardError.write(Data("solverd-bench: \(error)\n".utf8))
    exit(1)
}
