import ArgumentParser
import Dispatch
import Foundation
import SolverCore
import SolverSession

/// `solverd solve FILE.mtx`: an offline solve that prints iterations, residual, time and the method chosen.
struct SolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve A x = b offline from a Matrix Market file and report how it went."
    )

    @OptionGroup var input: MatrixFileArguments

    @Option(name: .long, help: "hybrid (default) | cholesky | ldlt | lu | cg | bicgstab | minres | gmres | jacobi | gauss_seidel | neumann | push.")
    var method: String = "hybrid"

    @Option(name: .long, help: "none | jacobi | ilu (cg and bicgstab; default jacobi, or as hybrid picks).")
    var preconditioner: String?

    @Option(name: .long, help: "Relative tolerance: stop when ‖b − A x‖₂ ≤ tolerance · ‖b‖₂.")
    var tolerance: Double = 1e-8

    @Option(name: .customLong("max-iterations"), help: "Iteration limit.")
    var maxIterations: Int = 10_000

    @Option(name: .long, help: "SOR relaxation ω for gauss_seidel, in (0, 2).")
    var omega: Double = 1

    @Option(name: .customLong("max-factor-bytes"), help: "Largest predicted factor a direct method may build (bytes).")
    var maxFactorBytes: Int = SparseFactorizations.defaultByteLimit

    @Option(name: .customLong("x-out"), help: "Write the solution x to this file (Matrix Market array).")
    var xOut: String?

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    func run() throws {
        do {
            try solve()
        } catch let error as SolverError {
            FileHandle.standardError.write(Data("solverd solve: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func solve() throws {
        let loadStart = DispatchTime.now()
        let (matrix, b) = try input.load()
        let system = try LiveSystem(matrix: matrix, b: b, loop: ConcurrentLoop())
        let loadSeconds = Self.seconds(since: loadStart)
        let kind = try MethodKind.parse(method, field: "--method")
        let pc = try preconditioner.map { try PreconditionerKind.parse($0, field: "--preconditioner") }
            ?? ((kind == .cg || kind == .bicgstab) ? .jacobi : .none)
        let options = SolveOptions(tolerance: tolerance, maxIterations: maxIterations)
        let start = DispatchTime.now()
        let report = try SolveDriver.run(system, kind: kind, preconditioner: pc,
                                         methodOptions: MethodOptions(relaxation: omega, factorByteLimit: maxFactorBytes),
                                         options: options)
        let seconds = Self.seconds(since: start)
        if let xOut {
            try MatrixMarketWriter.write(vector: system.x).write(toFile: xOut, atomically: true, encoding: .utf8)
        }
        let trueResidual = try system.residualNorm(of: system.x)
        if json {
            let fields: [(String, String)] = [
                ("status", "\"\(report.status.rawValue)\""), ("method", "\"\(report.methodName)\""),
                ("reason", Self.quoted(report.reason ?? "requested")),
                ("detail", report.detail.map(Self.quoted) ?? "null"), ("rows", "\(matrix.rows)"), ("nnz", "\(matrix.nnz)"),
                ("iterations", "\(report.iterations)"), ("residual_norm", "\(trueResidual)"),
                ("relative_residual", "\(report.relativeResidual)"), ("flops", "\(report.flops)"),
                ("solve_seconds", "\(seconds)"), ("load_seconds", "\(loadSeconds)"),
                ("factorization", report.factorization.map(Self.json) ?? "null"),
            ]
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            print("matrix       \(input.matrixFile): \(matrix.rows) × \(matrix.cols), \(matrix.nnz) nonzeros (loaded in \(Self.format(loadSeconds)))")
            print("method       \(report.methodName)" + (report.reason.map { " — \($0)" } ?? ""))
            print("status       \(report.status.rawValue)" + (report.detail.map { " (\($0))" } ?? ""))
            print("iterations   \(report.iterations)")
            print("residual     ‖b − A x‖₂ = \(trueResidual), relative \(report.relativeResidual) (tolerance \(tolerance))")
            if let f = report.factorization {
                print("factor       \(f.estimate.kind.rawValue), ordering \(f.estimate.ordering): nnz \(f.factorNonzeros), \(f.bytes) bytes; analysis \(Self.format(f.estimate.analysisSeconds)), factor \(Self.format(f.factorSeconds)), solve \(Self.format(f.solveSeconds))")
            }
            print("time         \(Self.format(seconds))")
        }
        if report.status != .converged { throw ExitCode(1) }
    }

    /// A JSON string literal (reasons quote error messages).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func json(_ f: FactorizationSummary) -> String {
        let e = f.estimate
        return "{\"kind\": \"\(e.kind.rawValue)\", \"ordering\": \"\(e.ordering)\", \"nnz_factor\": \(f.factorNonzeros), "
            + "\"predicted_nnz_factor\": \(e.factorNonzeros), \"predicted_flops\": \(e.factorFlops), \"predicted_bytes\": \(e.bytes), "
            + "\"bytes\": \(f.bytes), \"analysis_seconds\": \(e.analysisSeconds), \"factor_seconds\": \(f.factorSeconds), "
            + "\"solve_seconds\": \(f.solveSeconds)}"
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func format(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.3f ms", seconds * 1000) : String(format: "%.3f s", seconds)
    }
}
