import SolverSession
import Dispatch
import SolverWire
import Synchronization

/// Open NDJSON/SSE streams, for heartbeats and for the `shutdown` record at drain. The heartbeat timer runs only
/// while at least one stream is open.
final class StreamRegistry: Sendable {
    struct Entry: Sendable {
        let stream: HTTPStream
        let framing: EventFraming
        /// Ends the stream's subscription (drain).
        let cancel: (@Sendable () -> Void)?
        /// Runs once when the stream leaves the registry (releases its concurrency ticket).
        var onRemove: (@Sendable () -> Void)? = nil
    }

    private struct State {
        var nextID: UInt64 = 1
        var streams: [UInt64: Entry] = [:]
        var timer: DispatchSourceTimer?
    }

    private let state = Mutex(State())
    private let heartbeatInterval: Double
    private let queue = DispatchQueue(label: "solverd.streams.heartbeat")

    init(heartbeatInterval: Double = 15) {
        self.heartbeatInterval = heartbeatInterval
    }

    func reserveID() -> UInt64 {
        state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
    }

    func add(_ id: UInt64, _ entry: Entry) {
        state.withLock { s in
            s.streams[id] = entry
            guard s.timer == nil else { return }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + heartbeatInterval, repeating: heartbeatInterval, leeway: .milliseconds(250))
            timer.setEventHandler { [weak self] in self?.beat() }
            s.timer = timer
            timer.resume()
        }
    }

    func remove(_ id: UInt64) {
        let removed = state.withLock { s in
            defer {
                if s.streams.isEmpty {
                    s.timer?.cancel()
                    s.timer = nil
                }
            }
            return s.streams.removeValue(forKey: id)
        }
        removed?.onRemove?()
    }

    var count: Int { state.withLock { $0.streams.count } }

    private func beat() {
        let entries = state.withLock { Array($0.streams.values) }
        let now = EventClock.now()
        for entry in entries {
            switch entry.framing {
            case .sse: _ = entry.stream.send(StreamFraming.sseComment("heartbeat \(now)"))
            default: _ = entry.stream.send(StreamFraming.ndjson(WireEncoder.heartbeat(timestamp: now)))
            }
        }
    }

    /// Drain: every stream gets a `shutdown` record and ends.
    func shutdownAll(reason: String) {
        let entries = state.withLock { s in
            defer { s.streams.removeAll(); s.timer?.cancel(); s.timer = nil }
            return Array(s.streams.values)
        }
        for entry in entries {
            entry.onRemove?()
            entry.cancel?()
            _ = entry.stream.send(entry.framing.frame(json: WireEncoder.shutdown(reason: reason), type: "shutdown"))
            entry.stream.finish()
        }
    }
}

/// Wall-clock seconds, the timestamps of records the server writes itself.
enum EventClock {
    static func now() -> Double { SolverSession.EventHub.now() }
}
