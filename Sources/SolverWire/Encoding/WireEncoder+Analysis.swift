import SolverCore

/// JSON for the offline computations the CLI (`--json`) and the MCP tools share: matrix analysis, PageRank and
/// random-walk estimates. One encoder each, so `solverd analyze --json` and `analyze_matrix` print the same object.
extension WireEncoder {
    public static func matrixAnalysis(_ a: MatrixAnalysis) -> [UInt8] {
        let p = a.properties
        return encode(capacity: 4096) { w in
            w.field("type", "matrix_analysis")
            w.field("rows", p.n)
            w.field("nnz", p.nnz)
            w.field("density", a.density)
            w.field("max_row_nonzeros", a.maxRowNonzeros)
            w.field("symmetric", p.isSymmetric)
            w.field("symmetry_tolerance", p.symmetryTolerance)
            w.field("diagonal") { w in
                w.field("positive", a.diagonal.positive)
                w.field("negative", a.diagonal.negative)
                w.field("zero_or_missing", a.diagonal.zero)
                w.field("min", a.diagonal.minimum)
                w.field("max", a.diagonal.maximum)
            }
            w.field("positive_off_diagonal", p.hasPositiveOffDiagonal)
            w.field("row_dominance") { w in dominance(&w, a.rows, count: p.n) }
            w.field("column_dominance") { w in dominance(&w, a.columns, count: p.n) }
            w.field("gershgorin") { w in
                w.field("lower", a.gershgorin.lower)
                w.field("upper", a.gershgorin.upper)
            }
            w.field("definiteness") { w in
                w.field("verdict", a.definiteness.verdict.rawValue)
                w.field("evidence", a.definiteness.evidence)
            }
            w.field("cholesky_attempt") { w in
                w.field("attempted", a.cholesky.attempted)
                if let ok = a.cholesky.succeeded { w.field("succeeded", ok) }
                w.field("message", a.cholesky.message)
                if a.cholesky.attempted { w.field("seconds", a.cholesky.seconds) }
            }
            w.key("direct")
            w.array { w in
                for d in a.direct { w.object { w in direct(&w, d) } }
            }
            w.key("iterative")
            w.array { w in
                for m in a.iterative {
                    w.object { w in
                        w.field("method", m.method)
                        if let converges = m.converges { w.field("converges", converges) } else { w.key("converges"); w.null() }
                        w.field("reason", m.reason)
                        if let iterations = m.iterations { w.field("predicted_iterations", iterations) }
                        if let flops = m.flops { w.field("predicted_flops", flops) }
                    }
                }
            }
            w.field("tolerance", a.tolerance)
            w.field("hybrid") { w in
                for plan in a.plans {
                    w.field(plan.purpose) { w in
                        w.field("method", plan.method.rawValue)
                        w.field("preconditioner", plan.preconditioner.rawValue)
                        w.field("method_reason", plan.reason)
                        w.field("chain", plan.chain)
                    }
                }
            }
        }
    }

    private static func dominance(_ w: inout JSONWriter, _ d: MatrixAnalysis.Dominance, count: Int) {
        w.field("kind", d.kind.rawValue)
        w.field("strict_fraction", Double(d.strictCount) / Double(max(count, 1)))
        w.field("weak_fraction", Double(d.weakCount) / Double(max(count, 1)))
        w.field("min_ratio", d.minimumRatio)
    }

    private static func direct(_ w: inout JSONWriter, _ d: MatrixAnalysis.DirectPrediction) {
        w.field("kind", d.kind.rawValue)
        guard let e = d.estimate else {
            w.field("error", d.error ?? "not analysed")
            return
        }
        w.field("ordering", e.ordering)
        w.field("predicted_nnz_factor", e.factorNonzeros)
        w.field("predicted_flops", e.factorFlops)
        w.field("predicted_solve_flops", e.solveFlops)
        w.field("predicted_bytes", e.bytes)
        w.field("analysis_seconds", e.analysisSeconds)
    }

    /// PageRank: the run's facts, the `top` nodes (`label` names node i; nil names them by number) and, when
    /// `ranks` is given, every rank in node order.
    public static func pageRank(_ r: PageRank.Result, damping: Double, top: [(node: Int, rank: Double)],
                                label: ((Int) -> String)?, ranks: [Double]?) -> [UInt8] {
        encode(capacity: 512 + 40 * top.count + 24 * (ranks?.count ?? 0)) { w in
            w.field("type", "page_rank")
            w.field("nodes", r.ranks.count)
            w.field("edges", r.edges)
            w.field("dangling_nodes", r.danglingNodes)
            w.field("damping", damping)
            w.field("method", r.report.methodName)
            w.field("status", r.report.status.rawValue)
            w.field("converged", r.report.status == .converged)
            w.field("iterations", r.report.iterations)
            w.field("relative_residual", r.report.relativeResidual)
            w.key("top")
            w.array { w in
                for (node, rank) in top {
                    w.object { w in
                        if let label { w.field("node", label(node)) } else { w.field("node", node) }
                        w.field("rank", rank)
                    }
                }
            }
            if let ranks { w.field("ranks", ranks) }
        }
    }

    /// A random-walk estimate of `x_i` with its 95% confidence interval (±1.96 standard errors).
    public static func entryEstimate(_ e: RandomWalkEstimate) -> [UInt8] {
        encode { w in entryEstimateMembers(&w, e) }
    }

    static func entryEstimateMembers(_ w: inout JSONWriter, _ e: RandomWalkEstimate) {
        w.field("index", e.index)
        w.field("value", e.value)
        w.field("standard_error", e.standardError)
        w.field("confidence_interval", [e.value - 1.96 * e.standardError, e.value + 1.96 * e.standardError])
        w.field("walks", e.walks)
        w.field("total_steps", e.totalSteps)
        w.field("truncated_walks", e.truncatedWalks)
    }

    /// Several estimates (the `estimate_entry` tool's result).
    public static func entryEstimates(_ estimates: [RandomWalkEstimate], seconds: Double) -> [UInt8] {
        encode(capacity: 256 + 200 * estimates.count) { w in
            w.field("type", "entry_estimates")
            w.key("estimates")
            w.array { w in for e in estimates { w.object { w in entryEstimateMembers(&w, e) } } }
            w.field("elapsed_ms", seconds * 1000)
        }
    }
}
