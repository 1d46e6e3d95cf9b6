import MCP
import SolverCore
import SolverWire

/// `analyze_matrix` (the upstream solver's `analyzeMatrix`; `solverd analyze --json` on the command line): symmetry,
/// dominance, definiteness evidence, each method's predicted cost and what `hybrid` would pick. In this process.
struct AnalyzeMatrixTool: OfflineTool {
    let definition = Tool(
        name: "analyze_matrix",
        title: "Analyze a matrix",
        description: """
            Analyze a square sparse matrix for solvability: symmetry, diagonal signs, row and column diagonal \
            dominance (strict/weak, fraction of rows), Gershgorin bounds, definiteness evidence (with a Cholesky \
            attempt when cheap), the symbolic analysis of each sparse factorisation (nnz(L), flops, bytes), the \
            iterative methods' convergence guarantees, and the method hybrid would pick, with method_reason.
            """,
        inputSchema: ToolSchemas.object([
            "matrix": ToolSchemas.sparseMatrix,
            "tolerance": [
                "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 1e-8,
                "description": "The relative residual the cost predictions aim for.",
            ],
            "cholesky": ["type": "boolean", "default": true,
                         "description": "Try a numeric Cholesky factorisation as definiteness evidence when it is cheap."],
        ], required: ["matrix"]),
        annotations: .init(readOnlyHint: true))

    func compute(_ fields: JSONFields, limits: MatrixLimits) throws -> [UInt8] {
        let tolerance = try fields.double("tolerance", default: 1e-8, expected: "in (0, 1)") { $0 > 0 && $0 < 1 }
        var budget = MatrixAnalysis.Budget()
        budget.attemptCholesky = try fields.bool("cholesky") ?? true
        let matrix = try fields.required("matrix") { try fields.matrix($0, limits: limits) }
        let system = try LiveSystem(matrix: matrix, b: [Double](repeating: 1, count: matrix.rows))
        return WireEncoder.matrixAnalysis(MatrixAnalysis.analyze(system, tolerance: tolerance, budget: budget))
    }
}
