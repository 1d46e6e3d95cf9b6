import Foundation
import SolverSession
import Synchronization

/// A subscriber that records everything, or refuses everything while `blocked` (a stalled consumer).
final class CollectingSink: SessionEventSink {
    struct State {
        var events: [SessionEvent] = []
        var ended: [(String, String)] = []
        var blocked = false
        var offers = 0
    }
    let state = Mutex(State())

    init(blocked: Bool = false) { state.withLock { $0.blocked = blocked } }

    func offer(_ event: SessionEvent) -> Bool {
        state.withLock { s in
            s.offers += 1
            guard !s.blocked else { return false }
            s.events.append(event)
            return true
        }
    }

    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {
        state.withLock { $0.ended.append((reason, message)) }
    }

    var events: [SessionEvent] { state.withLock { $0.events } }
    var endReasons: [String] { state.withLock { $0.ended.map(\.0) } }

    func types() -> [String] { events.map(\.body.typeName) }

    /// Waits (bounded) until `predicate` holds over the recorded events.
    @discardableResult
    func wait(timeout: Double = 20, _ predicate: ([SessionEvent]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(events) { return true }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return predicate(events)
    }

    func convergedSignals() -> [ConvergenceSignal] {
        events.compactMap { if case .convergenceSignal(let c) = $0.body, c.converged { return c } else { return nil } }
    }
}

/// Polls `predicate` until it holds or `timeout` passes.
@discardableResult
func eventually(timeout: Double = 20, _ predicate: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if predicate() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return predicate()
}
