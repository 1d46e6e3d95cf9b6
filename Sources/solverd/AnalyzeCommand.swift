import ArgumentParser
import Foundation
import SolverCore
import SolverWire

/// `solverd analyze FILE.mtx`: what the planner sees in a matrix — symmetry, dominance, definiteness evidence,
/// each method's predicted cost — and what `hybrid` would pick, as text or (`--json`) the `analyze_matrix` object.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyze a Matrix Market matrix: structure, definiteness, predicted costs, the hybrid plan."
    )

    @Argument(help: "Matrix Market file (coordinate real/integer/pattern; general/symmetric/skew-symmetric).")
    var matrixFile: String

    @Option(name: .long, help: "Relative residual the cost predictions aim for.")
    var tolerance: Double = 1e-8

    @Option(name: .customLong("max-factor-bytes"), help: "Largest predicted factor analysed or planned (bytes).")
    var maxFactorBytes: Int = SparseFactorizations.defaultByteLimit

    @Flag(name: .customLong("no-cholesky"), help: "Skip the numeric Cholesky attempt (definiteness evidence).")
    var noCholesky = false

    @Flag(name: .long, help: "Print one JSON object (the analyze_matrix tool's result).")
    var json = false

    func validate() throws {
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1)") }
        guard maxFactorBytes > 0 else { throw ValidationError("--max-factor-bytes must be positive") }
    }

    func run() throws {
        try CommandErrors.reporting("analyze") {
            let matrix = try MatrixFiles.readMatrix(matrixFile)
            let system = try LiveSystem(matrix: matrix, b: [Double](repeating: 1, count: matrix.rows))
            var budget = MatrixAnalysis.Budget()
            budget.attemptCholesky = !noCholesky
            budget.factorBytes = maxFactorBytes
            let analysis = MatrixAnalysis.analyze(system, tolerance: tolerance, budget: budget)
            if json {
                print(String(decoding: WireEncoder.matrixAnalysis(analysis), as: UTF8.self))
            } else {
                for line in AnalysisText.lines(analysis, file: matrixFile) { print(line) }
            }
        }
    }
}

/// The text form of a `MatrixAnalysis`: one labelled line per fact, predictions in aligned rows.
enum AnalysisText {
    static func lines(_ a: MatrixAnalysis, file: String) -> [String] {
        let p = a.properties
        var out = [
            "matrix        \(file): \(p.n) × \(p.n), \(p.nnz) nonzeros (\(percent(a.density)) dense, at most \(a.maxRowNonzeros) per row)",
            "symmetry      \(p.isSymmetric ? "symmetric" : "nonsymmetric") (tolerance \(p.symmetryTolerance))",
            "diagonal      \(a.diagonal.positive) positive, \(a.diagonal.negative) negative, \(a.diagonal.zero) zero or missing; "
                + "from \(short(a.diagonal.minimum)) to \(short(a.diagonal.maximum))",
            "dominance     rows: \(dominance(a.rows, p.n)); columns: \(dominance(a.columns, p.n))",
            "gershgorin    eigenvalue real parts in [\(short(a.gershgorin.lower)), \(short(a.gershgorin.upper))]",
            "definiteness  \(a.definiteness.verdict.rawValue.replacingOccurrences(of: "_", with: " ")): "
                + a.definiteness.evidence.joined(separator: "; "),
            "cholesky      " + (a.cholesky.attempted
                ? "\(a.cholesky.succeeded == true ? "succeeded" : "failed") in \(SolveCommand.format(a.cholesky.seconds)): \(a.cholesky.message)"
                : "not attempted: \(a.cholesky.message)"),
        ]
        for (k, d) in a.direct.enumerated() {
            let label = k == 0 ? "direct        " : "              "
            guard let e = d.estimate else {
                out.append(label + "\(pad(d.kind.rawValue)) refused: \(d.error ?? "")")
                continue
            }
            out.append(label + "\(pad(d.kind.rawValue)) nnz(L) \(e.factorNonzeros), \(flops(e.factorFlops)) flops, "
                + "\(e.bytes) bytes, ordering \(e.ordering) (analysis \(SolveCommand.format(e.analysisSeconds)))")
        }
        for (k, m) in a.iterative.enumerated() {
            let label = k == 0 ? "iterative     " : "              "
            let verdict = m.converges.map { $0 ? "converges" : "does not apply" } ?? "no guarantee"
            let cost = m.iterations.map { " ~\(Int($0)) iterations" + (m.flops.map { ", \(flops($0)) flops" } ?? "") } ?? ""
            out.append(label + "\(pad(m.method)) \(verdict)\(cost): \(m.reason)")
        }
        for (k, plan) in a.plans.enumerated() {
            let label = k == 0 ? "hybrid        " : "              "
            let method = plan.preconditioner == .none ? plan.method.rawValue : "\(plan.method.rawValue)+\(plan.preconditioner.rawValue)"
            out.append(label + "\(pad(plan.purpose)) \(method) — \(plan.reason)")
            out.append("              \(pad("")) then: \(plan.chain.dropFirst().joined(separator: " → "))")
        }
        return out
    }

    static func dominance(_ d: MatrixAnalysis.Dominance, _ n: Int) -> String {
        "\(d.kind.rawValue) (\(percent(Double(d.strictCount) / Double(n))) strictly, \(percent(Double(d.weakCount) / Double(n))) "
            + "weakly; min ratio \(short(d.minimumRatio)))"
    }

    static func pad(_ text: String) -> String {
        text.padding(toLength: max(text.count, 12), withPad: " ", startingAt: 0)
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.4g%%", fraction * 100) }
    static func short(_ value: Double) -> String { String(format: "%.6g", value) }
    static func flops(_ value: Double) -> String { String(format: "%.3g", value) }
}
