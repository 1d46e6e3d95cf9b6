import Dispatch
import SolverSession
import Synchronization

/// Subscribers on this node to sessions owned elsewhere (or anywhere: events always come back through Redis).
/// Each subscriber first catches up from the session's event log after its `since`, then continues live from
/// pub/sub; a seq is delivered at most once and in increasing order, so switching nodes never shows a gap inside
/// the retained log nor a duplicate.
public final class RemoteFeeds: Sendable {
    public typealias Deliver = @Sendable (_ seq: UInt64, _ type: String, _ json: [UInt8]) -> Void

    final class Subscriber: @unchecked Sendable {
        let sessionID: SessionID
        let deliver: Deliver
        private let lock = Mutex<(last: UInt64, catchingUp: Bool, buffer: [(UInt64, String, [UInt8])])>((0, true, []))
        init(sessionID: SessionID, since: UInt64?, deliver: @escaping Deliver) {
            self.sessionID = sessionID
            self.deliver = deliver
            lock.withLock { $0 = (since ?? 0, since != nil, []) }
        }

        func live(_ seq: UInt64, _ type: String, _ json: [UInt8]) {
            lock.withLock { s in
                if s.catchingUp { s.buffer.append((seq, type, json)); return }
                guard seq > s.last else { return }
                s.last = seq
                deliver(seq, type, json)
            }
        }

        func caughtUp(_ logged: [(seq: UInt64, type: String, json: [UInt8])]) {
            lock.withLock { s in
                for e in logged + s.buffer.map({ (seq: $0.0, type: $0.1, json: $0.2) }) where e.seq > s.last {
                    s.last = e.seq
                    deliver(e.seq, e.type, e.json)
                }
                s.buffer.removeAll()
                s.catchingUp = false
            }
        }
    }

    private let subscribers = Mutex<[SessionID: [ObjectIdentifier: Subscriber]]>([:])
    private let store: SessionStore
    private let work = DispatchQueue(label: "solverd.cluster.feeds")

    init(store: SessionStore) { self.store = store }

    /// Adds a subscriber; returns a token for `remove`.
    func add(_ sessionID: SessionID, since: UInt64?, deliver: @escaping Deliver) -> ObjectIdentifier {
        let sub = Subscriber(sessionID: sessionID, since: since, deliver: deliver)
        let token = ObjectIdentifier(sub)
        subscribers.withLock { $0[sessionID, default: [:]][token] = sub }
        if let since {
            work.async { [store] in sub.caughtUp((try? store.events(sessionID, after: since)) ?? []) }
        }
        return token
    }

    func remove(_ sessionID: SessionID, _ token: ObjectIdentifier) {
        subscribers.withLock { all in
            all[sessionID]?[token] = nil
            if all[sessionID]?.isEmpty == true { all[sessionID] = nil }
        }
    }

    /// A pub/sub event message `"<seq> <type> <json>"`.
    func received(_ sessionID: SessionID, payload: [UInt8]) {
        guard let subs = subscribers.withLock({ $0[sessionID].map { Array($0.values) } }), !subs.isEmpty else { return }
        guard let first = payload.firstIndex(of: 32), let second = payload[(first + 1)...].firstIndex(of: 32),
              let seq = UInt64(String(decoding: payload[..<first], as: UTF8.self)) else { return }
        let type = String(decoding: payload[(first + 1)..<second], as: UTF8.self)
        let json = Array(payload[(second + 1)...])
        for sub in subs { sub.live(seq, type, json) }
    }

    /// After a pub/sub reconnect: catch every subscriber up from the log (messages may have been missed).
    func resynchronise() {
        let all = subscribers.withLock { $0.values.flatMap(\.values) }
        for sub in all {
            work.async { [store] in sub.caughtUp((try? store.events(sub.sessionID, after: 0)) ?? []) }
        }
    }
}
