import Dispatch
import Foundation
import SolverCore
import SolverSession
import SolverTestSupport

/// `solverd-bench sessions`: many live sessions in process (no sockets) under streams of cost updates.
///
/// Phases, in order: create `count` sessions (side² unknowns each, 5-point Laplacian + shift, one timing subscriber
/// each) and let them converge; idle CPU; update → first `iteration_update` latency at a moderate paced rate; the
/// target rates offered open loop (single-entry updates, then `batchEntries`-entry updates), each counted as
/// sustained when every update's frame arrived within `drainSeconds` after the offer ended; per-session memory
/// (RSS growth and accounted `memory_bytes` with its breakdown); and one large session (bigSide²) with localised updates, one at a time. First of all (while
/// the heap is fresh), the fixed per-session overhead is measured on `count` tiny sessions (smallSide²).
struct SessionsBenchmark {
    var count = 1000
    var side = 100
    var shift = 1.0
    var producers = 3
    var phaseSeconds = 3.0
    var pacedRate = 10_000.0
    /// Offered 20 % above issue 16's targets (50,000 single-entry updates/s, 1,000,000 batched entries/s), so a
    /// sustained run shows the target met with room rather than the offer itself.
    var targetRate = 60_000.0
    var batchEntries = 100
    var targetEntryRate = 1_200_000.0
    var drainSeconds = 2.0
    var idleSeconds = 2.0
    var bigSide = 316
    var localisedUpdates = 300
    var smallSide = 4

    struct Failure: Error, CustomStringConvertible { var description: String }

    func run() throws -> [String: Any] {
        var result: [String: Any] = ["mode": "sessions", "build": "release", "sessions": count, "n": side * side,
                                     "shift": shift, "producers": producers, "scheduler_width": SessionScheduler.defaultWidth]
        var limits = SessionLimits()
        limits.maxSessions = count + 10
        // $SOLVERD_BENCH_SOLVING_PRIORITY=idle compares solving under the idle policy with the default nice 10.
        let priority = SessionScheduler.SolvingPriority(
            rawValue: ProcessInfo.processInfo.environment["SOLVERD_BENCH_SOLVING_PRIORITY"] ?? "") ?? .background
        result["solving_priority"] = priority.rawValue
        let registry = SessionRegistry(limits: limits, scheduler: SessionScheduler(solvingPriority: priority))
        result["fixed_overhead"] = try fixedOverhead()

        progress("sessions: creating \(count) sessions of n = \(side * side)")
        let rssBefore = ProcessStats.residentBytes(), freeBefore = ProcessStats.mallocFreeBytes()
        let created = Date()
        let fleet = try (0..<count).map { k in
            try subscribe(registry.create(spec(side: side, seed: UInt64(k))))
        }
        try settle(fleet, timeout: 300)
        result["create_and_converge_seconds"] = Date().timeIntervalSince(created)
        result["memory_after_convergence"] = memory(fleet, rssBefore: rssBefore, mallocFreeBefore: freeBefore)

        result["idle"] = idle(registry)

        let driver = UpdateDriver(fleet: fleet, producers: producers)
        let stages = registry.telemetry.stages
        func offer(_ name: String, rate: Double, entries: Int) throws {
            progress("sessions: \(name): \(entries)-entry updates offered at \(Int(rate))/s")
            stages.reset()
            var outcome = driver.run(seconds: phaseSeconds, rate: rate, drainTimeout: drainSeconds,
                                     makeUpdate: RandomUpdates.deltas(entries)).json
            outcome["stages"] = Self.stagesJSON(stages)
            try settle(fleet, timeout: 120)
            // How the sessions re-converged from their last update (local push, factor re-solve, global steps).
            outcome["last_modes"] = Dictionary(fleet.map { ($0.session.status.reconvergenceMode, 1) }, uniquingKeysWith: +)
            result[name] = outcome
        }
        try offer("paced_single", rate: pacedRate, entries: 1)
        try offer("sustained_single", rate: targetRate, entries: 1)
        try offer("sustained_batched", rate: targetEntryRate / Double(batchEntries), entries: batchEntries)
        result["memory_after_updates"] = memory(fleet, rssBefore: rssBefore, mallocFreeBefore: freeBefore)
        result["idle_after_updates"] = idle(registry)
        result["localised_large"] = try localised(registry)
        registry.closeAll(reason: .shutdown, message: "benchmark done")
        return result
    }

    /// Each stage's percentiles (µs) recorded during a phase: where the updates' time went.
    static func stagesJSON(_ stages: LatencyStages) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: stages.summaries.map { ($0.stage.rawValue, $0.summary.json as Any) })
    }

    /// Per-session bytes of `count` sessions of smallSide² unknowns (one subscriber each), beyond what they account
    /// for, after creation and after 20 updates each (so event retention is as full as it gets).
    private func fixedOverhead() throws -> [String: Any] {
        progress("sessions: fixed overhead of \(count) sessions of n = \(smallSide * smallSide)")
        var result = try fleetMemory(side: smallSide, options: SessionOptions(), updateRounds: 20)
        result["n"] = smallSide * smallSide
        return result
    }

    /// RSS growth and accounted memory per session of `count` sessions of side² unknowns (one subscriber each) made
    /// with `options`, after they converged and after `updateRounds` single-entry updates each (push state allocated,
    /// event retention filled); the sessions are closed afterwards.
    func fleetMemory(side: Int, options: SessionOptions, updateRounds: Int) throws -> [String: Any] {
        var limits = SessionLimits()
        limits.maxSessions = count + 10
        let registry = SessionRegistry(limits: limits)
        let rssBefore = ProcessStats.residentBytes(), freeBefore = ProcessStats.mallocFreeBytes()
        let fleet = try (0..<count).map { k in
            try subscribe(registry.create(spec(side: side, seed: UInt64(k), options: options)))
        }
        try settle(fleet, timeout: 300)
        var result: [String: Any] = ["after_convergence": memory(fleet, rssBefore: rssBefore, mallocFreeBefore: freeBefore)]
        var random = SplitMix64(seed: 5)
        for _ in 0..<updateRounds {
            let seqs = try fleet.map { try $0.session.submit(RandomUpdates.deltas(1)(&random, side * side)) }
            try settle(fleet, timeout: 120, applied: seqs)
        }
        result["after_updates"] = memory(fleet, rssBefore: rssBefore, mallocFreeBefore: freeBefore)
        registry.closeAll(reason: .shutdown, message: "benchmark done")
        return result
    }

    /// A side² 5-point Laplacian + shift with a random right-hand side (each session its own arrays).
    private func spec(side: Int, seed: UInt64, options: SessionOptions = SessionOptions()) -> SessionSpec {
        SessionSpec(matrix: MatrixGenerators.laplacian2D(side: side, shift: shift),
                    rightHandSide: MatrixGenerators.randomVector(side * side, seed: seed + 1), options: options)
    }

    private func subscribe(_ session: Session) throws -> LoadedSession {
        let sink = LatencySink()
        _ = try session.hub.subscribe(sink)
        return LoadedSession(session: session, sink: sink)
    }

    /// Waits until no session is solving, every timed frame arrived and session k applied update `applied[k]` (when
    /// given); throws after `timeout` seconds.
    private func settle(_ fleet: [LoadedSession], timeout: Double, poll: UInt32 = 10_000, applied: [UInt64]? = nil) throws {
        let deadline = Date().addingTimeInterval(timeout)
        func busy(_ k: Int) -> Bool {
            let status = fleet[k].session.status
            return status.phase == .solving || fleet[k].sink.outstanding > 0 || status.lastAppliedSeq < applied?[k] ?? 0
        }
        while fleet.indices.contains(where: busy) {
            guard Date() < deadline else {
                let solving = fleet.filter { $0.session.status.phase == .solving }.count
                throw Failure(description: "\(solving) sessions still solving after \(timeout) s")
            }
            usleep(poll)
        }
    }

    /// CPU used while every session is converged: after a short grace period, over `idleSeconds`.
    private func idle(_ registry: SessionRegistry) -> [String: Any] {
        usleep(300_000)
        let slices = registry.scheduler.slicesRun
        let cpu = ProcessStats.cpuSeconds()
        let start = Date()
        Thread.sleep(forTimeInterval: idleSeconds)
        let seconds = Date().timeIntervalSince(start)
        let used = ProcessStats.cpuSeconds() - cpu
        return ["seconds": seconds, "cpu_seconds": used, "cpu_percent": 100 * used / seconds,
                "slices_run": registry.scheduler.slicesRun - slices]
    }

    /// RSS growth per session (measured) against the bytes each session accounts for (`memory_bytes`, with its
    /// breakdown averaged over the fleet), per session and per nonzero; the gap is what no session accounts for.
    private func memory(_ fleet: [LoadedSession], rssBefore: Int, mallocFreeBefore: Int) -> [String: Any] {
        let rss = ProcessStats.residentBytes()
        let mallocFree = ProcessStats.mallocFreeBytes() - mallocFreeBefore
        let statuses = fleet.map(\.session.status)
        let accounted = statuses.reduce(0) { $0 + $1.memoryBytes }
        let count = Double(fleet.count), nnz = Double(statuses[0].nnz)
        let rssPerSession = Double(rss - rssBefore) / count, accountedPerSession = Double(accounted) / count
        var breakdown: [String: Double] = [:]
        for status in statuses {
            for (name, bytes) in status.memory.components { breakdown[name, default: 0] += Double(bytes) / count }
        }
        return ["rss_delta_bytes": rss - rssBefore, "accounted_bytes": accounted, "nnz": statuses[0].nnz,
                "rows": statuses[0].rows, "method": statuses[0].method,
                "rss_bytes_per_session": rssPerSession, "accounted_bytes_per_session": accountedPerSession,
                "rss_bytes_per_nnz": rssPerSession / nnz, "accounted_bytes_per_nnz": accountedPerSession / nnz,
                "overhead_bytes_per_session": rssPerSession - accountedPerSession,
                "malloc_free_bytes_per_session": Double(mallocFree) / count,
                "breakdown_bytes_per_session": breakdown]
    }

    /// One bigSide² session: localised updates one at a time (alternately a change to one entry of `b` and to one
    /// diagonal entry of `A`), each timed from submit to its first frame, then left to re-converge.
    private func localised(_ registry: SessionRegistry) throws -> [String: Any] {
        let n = bigSide * bigSide
        progress("sessions: one session of n = \(n), \(localisedUpdates) localised updates")
        let loaded = try subscribe(registry.create(spec(side: bigSide, seed: 99)))
        try settle([loaded], timeout: 120)
        var random = SplitMix64(seed: 7)
        var reconverge: [UInt64] = []
        let cpu = ProcessStats.cpuSeconds()
        for k in 0..<localisedUpdates {
            let i = Int(random.next() % UInt64(n))
            let update = k % 2 == 0
                ? CostUpdate(deltaIndices: [i], deltaValues: [1e-2 * (random.nextDouble() - 0.5)])
                : CostUpdate(matrixUpdates: [.init(row: i, col: i, newValue: 4 + shift + 1e-2 * random.nextDouble())])
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try loaded.session.submit(update) { seq in loaded.sink.submitted(seq: seq, at: start) }
            try settle([loaded], timeout: 10, poll: 100)
            reconverge.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        return ["n": n, "updates": localisedUpdates,
                "cpu_us_per_update": (ProcessStats.cpuSeconds() - cpu) / Double(localisedUpdates) * 1e6, "latency": LatencySummary(nanoseconds: loaded.sink.takeLatencies()).json,
                "until_converged": LatencySummary(nanoseconds: reconverge).json,
                "mode": loaded.session.status.reconvergenceMode, "method": loaded.session.status.method]
    }
}
