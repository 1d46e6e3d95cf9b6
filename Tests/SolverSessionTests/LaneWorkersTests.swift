import Dispatch
import Foundation
import Synchronization
import Testing
@testable import SolverSession

/// The scheduler lanes' own threads: started on demand, reused while parked, gone after the idle timeout.
@Suite struct LaneWorkersTests {
    @Test func aParkedThreadIsReusedAndEndsAfterTheIdleTimeout() {
        let workers = LaneWorkers(name: "test-lane", idleTimeout: .milliseconds(300))
        let done = DispatchSemaphore(value: 0)
        let threads = Mutex<Set<UInt>>([])
        let record: @Sendable () -> Void = {
            threads.withLock { _ = $0.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))) }
            done.signal()
        }
        workers.start(record)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(eventually { workers.threadCount == 1 })
        // Parked now (or about to be): the next start wakes that thread rather than making a second.
        Thread.sleep(forTimeInterval: 0.05)
        workers.start(record)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(threads.withLock { $0.count } == 1)
        #expect(workers.threadCount == 1)
        #expect(eventually(timeout: 5) { workers.threadCount == 0 })
        // And a start after that makes a new one.
        workers.start(record)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(workers.threadCount == 1)
    }

    @Test func concurrentStartsEachGetAThread() {
        let workers = LaneWorkers(name: "test-lane", idleTimeout: .milliseconds(200))
        let running = Atomic<Int>(0), peak = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<3 {
            workers.start {
                let now = running.wrappingAdd(1, ordering: .relaxed).newValue
                _ = peak.max(now, ordering: .relaxed)
                gate.wait()
                running.subtract(1, ordering: .relaxed)
                done.signal()
            }
        }
        #expect(eventually { running.load(ordering: .relaxed) == 3 })
        for _ in 0..<3 { gate.signal() }
        for _ in 0..<3 { #expect(done.wait(timeout: .now() + 5) == .success) }
        #expect(peak.load(ordering: .relaxed) == 3)
        #expect(workers.threadCount == 3)
    }
}

/// A thread inherits its creator's scheduling policy: the lanes' threads are started by `ThreadSpawner`, so an
/// urgent-lane thread started from an idle-policy solving thread runs at normal priority.
@Suite struct ThreadSpawnerTests {
    @Test func threadsStartedFromAnIdlePolicyThreadDoNotInheritIt() {
        #if os(Linux)
        let urgent = LaneWorkers(name: "test-urgent", idleTimeout: .milliseconds(200))
        let solving = LaneWorkers(name: "test-solving", idleTimeout: .milliseconds(200), prepareThread: IdlePriority.enterOnThisThread)
        let policies = Mutex<[Bool]>([])
        let done = DispatchSemaphore(value: 0)
        solving.start {
            policies.withLock { $0.append(IdlePriority.isActiveOnThisThread) }
            urgent.start {
                policies.withLock { $0.append(IdlePriority.isActiveOnThisThread) }
                done.signal()
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(policies.withLock { $0 } == [true, false])
        #endif
    }
}
