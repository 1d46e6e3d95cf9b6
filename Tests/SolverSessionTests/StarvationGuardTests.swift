import Foundation
import Synchronization
import Testing
import SolverCore
@testable import SolverSession
import SolverTestSupport

private let rules = StarvationGuard(minimumShare: 0.2, window: .milliseconds(10), hold: .milliseconds(100))
private let ms: UInt64 = 1_000_000

@Suite struct StarvationGuardTests {

    /// Slices that keep most of their wall time in CPU time leave the lane under the idle policy.
    @Test func slicesThatGetTheirShareStayIdle() {
        var governor = SolvingPriorityGovernor(.idle, rules: rules)
        for k in 0..<100 {
            #expect(governor.record(cpu: ms / 2, wall: ms, now: UInt64(k) * ms) == nil)
        }
        #expect(governor.mode == .idle && governor.fallbacks == 0)
    }

    /// A window of starved slices moves the lane to background once; it stays there for `hold`, then tries idle
    /// again, and falls back again when still starved.
    @Test func starvedSlicesFallBackForTheHoldThenTryIdleAgain() {
        var governor = SolvingPriorityGovernor(.idle, rules: rules)
        var changes: [SolvingPriorityGovernor.Mode] = []
        var now: UInt64 = 0
        func slice(cpu: UInt64) {
            now += ms
            if let changed = governor.record(cpu: cpu, wall: ms, now: now) { changes.append(changed) }
        }
        for _ in 0..<9 { slice(cpu: ms / 100) }
        #expect(changes.isEmpty)  // the window (10 ms of slices) is not full yet
        slice(cpu: ms / 100)
        #expect(changes == [.background] && governor.fallbacks == 1)
        for _ in 0..<99 { slice(cpu: ms / 100) }
        #expect(changes == [.background])  // held
        slice(cpu: ms / 100)
        #expect(changes == [.background, .idle])
        for _ in 0..<10 { slice(cpu: ms / 100) }
        #expect(changes == [.background, .idle, .background] && governor.fallbacks == 2)
    }

    /// A window judges the share of all its slices together: one short starved slice among busy ones is noise.
    @Test func oneStarvedSliceInAWindowIsNotStarvation() {
        var governor = SolvingPriorityGovernor(.idle, rules: rules)
        #expect(governor.record(cpu: 0, wall: 2 * ms, now: 2 * ms) == nil)
        #expect(governor.record(cpu: 8 * ms, wall: 8 * ms, now: 10 * ms) == nil)
        #expect(governor.mode == .idle)
    }

    /// Configured `background`, the lane never changes priority.
    @Test func configuredBackgroundNeverChanges() {
        var governor = SolvingPriorityGovernor(.background, rules: rules)
        for k in 0..<100 { #expect(governor.record(cpu: 0, wall: ms, now: UInt64(k) * ms) == nil) }
        #expect(governor.mode == .background && governor.fallbacks == 0)
    }

    /// The failure this guards against, for real: this process's own busy threads at normal priority hold every
    /// core, so idle-policy solving gets next to nothing; the lane falls back to nice 10 and the solve finishes.
    @Test func aSolveStarvedByBusyThreadsFallsBackAndConverges() throws {
        #if os(Linux)
        let scheduler = SessionScheduler(
            solvingPriority: .idle, starvationGuard: StarvationGuard(minimumShare: 0.2, window: .milliseconds(50), hold: .seconds(60)))
        let registry = SessionRegistry(scheduler: scheduler)
        let busy = BusyThreads(count: ProcessInfo.processInfo.activeProcessorCount + 1)
        defer { busy.stop() }
        var options = SessionOptions()
        options.method = .jacobi
        options.tolerance = 1e-10
        options.maxIterations = 1_000_000
        let a = MatrixGenerators.laplacian2D(side: 30, shift: 1e-2)
        let session = try registry.create(SessionSpec(matrix: a, rightHandSide: MatrixGenerators.randomVector(a.rows),
                                                      options: options))
        defer { registry.close(session.id) }
        #expect(eventually { session.status.phase == .converged })
        #expect(scheduler.solvingFallbacks >= 1)
        #expect(scheduler.solvingPriorityNow == .background)
        #endif
    }
}

/// Threads that spin at the default priority until stopped.
private final class BusyThreads: Sendable {
    private let running = Atomic<Bool>(true)

    init(count: Int) {
        for _ in 0..<count {
            Thread { [self] in
                var x = 0.0
                while running.load(ordering: .relaxed) { x += 1 }
                blackHole(x)
            }.start()
        }
    }

    func stop() { running.store(false, ordering: .relaxed) }
}

@inline(never) private func blackHole(_ x: Double) { _ = x }
