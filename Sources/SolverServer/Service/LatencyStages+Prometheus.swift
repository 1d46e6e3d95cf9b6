import SolverSession

extension LatencyStages {
    /// The stages as one Prometheus summary, `solverd_update_stage_seconds{stage, quantile}` with `_sum` and `_count`,
    /// plus `solverd_update_stage_max_seconds{stage}`: percentiles read off the HDR histograms (since the process
    /// started), which fixed buckets cannot give for a tail. Stages nothing passed through yet are left out.
    func prometheusText() -> String {
        let name = "solverd_update_stage_seconds"
        var text = """
            # HELP \(name) Where an update's time goes on its way to the first frame reflecting it, by stage \
            (HDR histogram since start).
            # TYPE \(name) summary

            """
        var maxima = """
            # HELP solverd_update_stage_max_seconds The longest time recorded in each stage since start.
            # TYPE solverd_update_stage_max_seconds gauge

            """
        for (stage, s) in summaries {
            let label = "stage=\"\(stage.rawValue)\""
            for (quantile, value) in [("0.5", s.p50), ("0.9", s.p90), ("0.99", s.p99), ("0.999", s.p999)] {
                text += "\(name){\(label),quantile=\"\(quantile)\"} \(Self.seconds(value))\n"
            }
            text += "\(name)_sum{\(label)} \(s.mean * Double(s.count) / 1e9)\n"
            text += "\(name)_count{\(label)} \(s.count)\n"
            maxima += "solverd_update_stage_max_seconds{\(label)} \(Self.seconds(s.max))\n"
        }
        return text + maxima
    }

    private static func seconds(_ nanoseconds: UInt64) -> String { "\(Double(nanoseconds) / 1e9)" }
}
