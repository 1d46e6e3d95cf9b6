import SolverCore
import SolverSecurity
import SolverSession
import SolverWire

/// NDJSON/SSE event streams of sessions held by other nodes (cluster mode).
extension SolverService {
    /// Asks the owner first (the session exists, `principal` may read it, the owner answers), then streams the
    /// cluster's feed: retained events after `since`, then live ones, with heartbeats, each seq once and in order.
    func openRemoteEventStream(_ id: SessionID, remote: any RemoteSessions, principal: Principal, ip: String,
                               framing: EventFraming, since: UInt64?, untilConverged: Bool, reply: Reply) throws {
        let ticket = try gate.openStream(principal, ip: ip)
        remote.ask(id, .status, principal: principal) { [self] answer in
            if case .failure(let error) = answer {
                gate.release(ticket)
                return reply.error(error)
            }
            guard let stream = reply.startStream(framing) else { return gate.release(ticket) }
            metrics.streamsOpened.increment()
            let streamID = streams.reserveID()
            let feed = RemoteEventStream(stream: stream, framing: framing, untilConverged: untilConverged) { [streams] in
                streams.remove(streamID)
                stream.finish()
            }
            streams.add(streamID, StreamRegistry.Entry(stream: stream, framing: framing, sink: nil, onRemove: { [gate] in
                feed.stop()
                gate.release(ticket)
            }))
            stream.onClose { [streams] in streams.remove(streamID) }
            feed.attach(cancel: remote.subscribe(id, since: since) { seq, type, json in
                feed.deliver(seq: seq, type: type, json: json)
            })
        }
    }
}
