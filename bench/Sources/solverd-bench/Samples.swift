import Dispatch

/// Wall-clock samples of one measurement (seconds), summarised as best and median: the best shows what the code
/// can do, the median what it does on a busy machine.
struct Samples {
    private(set) var seconds: [Double] = []

    var best: Double { seconds.min() ?? .nan }

    var median: Double {
        guard !seconds.isEmpty else { return .nan }
        let sorted = seconds.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    mutating func append(_ value: Double) { seconds.append(value) }

    /// Runs `body` `repetitions` times after `warmUp` untimed runs and records each run.
    static func measure(repetitions: Int, warmUp: Int = 1, _ body: () throws -> Void) rethrows -> Samples {
        for _ in 0..<warmUp { try body() }
        var samples = Samples()
        for _ in 0..<repetitions { samples.append(try time(body)) }
        return samples
    }

    /// Seconds one call of `body` takes, by `DispatchTime`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// `{best, median, samples}` in seconds, scaled by `scale` (e.g. 1 / products for seconds per product).
    func json(scale: Double = 1) -> [String: Any] {
        ["best": best * scale, "median": median * scale, "samples": seconds.count]
    }

    /// `{best, median}` of a rate `count / seconds` (best = fastest run).
    func rateJSON(count: Double) -> [String: Any] {
        ["best": count / best, "median": count / median, "samples": seconds.count]
    }
}
