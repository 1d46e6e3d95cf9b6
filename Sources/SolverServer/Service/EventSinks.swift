import Dispatch
import Foundation
import SolverSession
import SolverWire
import Synchronization

/// How a subscriber's events are framed on its transport.
enum EventFraming: Sendable {
    /// One JSON object per WebSocket text message.
    case webSocket
    /// One JSON object per line (`application/x-ndjson`).
    case ndjson
    /// Server-sent events: `event:` = type, `id:` = seq, `data:` = JSON (`text/event-stream`).
    case sse

    /// The event's bytes on this transport; the JSON is encoded once per event (shared by its subscribers), the
    /// encoding timed into `stages`.
    func frame(_ event: SessionEvent, stages: LatencyStages? = nil) -> [UInt8] {
        let json = event.encodingCache.bytes {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { stages?.record(.encode, from: start, to: DispatchTime.now().uptimeNanoseconds) }
            return WireEncoder.event(event)
        }
        switch self {
        case .webSocket: return json
        case .ndjson: return StreamFraming.ndjson(json)
        case .sse: return StreamFraming.sse(type: event.body.typeName, id: event.seq, json: json)
        }
    }

    func frame(json: [UInt8], type: String, id: UInt64? = nil) -> [UInt8] {
        switch self {
        case .webSocket: return json
        case .ndjson: return StreamFraming.ndjson(json)
        case .sse: return StreamFraming.sse(type: type, id: id, json: json)
        }
    }
}

/// Where a sink writes: a WebSocket connection or a streamed HTTP response.
protocol EventTransport: Sendable {
    func send(_ bytes: [UInt8]) -> SendResult
    /// `send` for an event of a publication: a transport whose I/O thread must be woken leaves that to `batch`.
    func send(event bytes: [UInt8], batch: DeliveryBatch) -> SendResult
    /// Ends the transport after what is queued (a stream's last chunk; WebSocket subscriptions leave the socket open).
    func finishAfterSubscriptionEnded(reason: String)
    /// Sends a subscription's last event and ends the subscription, in the order its client must see: whatever it
    /// sends after reading the event finds the subscription gone.
    func sendLast(_ bytes: [UInt8], reason: String) -> SendResult
}

extension EventTransport {
    func send(event bytes: [UInt8], batch: DeliveryBatch) -> SendResult { send(bytes) }

    /// A stream ends after its last event.
    func sendLast(_ bytes: [UInt8], reason: String) -> SendResult {
        let sent = send(bytes)
        finishAfterSubscriptionEnded(reason: reason)
        return sent
    }
}

/// A `SessionEventSink` over a transport: frames events, reports a full outbox as "not taken" so the session
/// coalesces, and while blocked retries every `retryInterval` (the only timer, and only while a consumer is slow).
final class TransportEventSink: SessionEventSink, @unchecked Sendable {
    let transport: any EventTransport
    let framing: EventFraming
    let hub: EventHub
    /// Called after each delivered event (e.g. `until=converged` ends the stream after the first signal).
    let afterDelivery: (@Sendable (SessionEvent) -> Void)?
    private let subscription = Mutex<SubscriptionID?>(nil)
    private let retrying = Atomic<Bool>(false)
    static let retryInterval = 0.02

    init(transport: any EventTransport, framing: EventFraming, hub: EventHub,
         afterDelivery: (@Sendable (SessionEvent) -> Void)? = nil) {
        self.transport = transport
        self.framing = framing
        self.hub = hub
        self.afterDelivery = afterDelivery
    }

    /// Subscribes this sink; replays retained events after `since` first.
    func attach(since: UInt64?, watchIndices: [Int]?) throws -> SubscriptionID {
        let id = try hub.subscribe(self, since: since, watchIndices: watchIndices)
        subscription.withLock { $0 = id }
        return id
    }

    var subscriptionID: SubscriptionID? { subscription.withLock { $0 } }

    func detach() {
        if let id = subscription.withLock({ $0.take() }) { hub.unsubscribe(id) }
    }

    func offer(_ event: SessionEvent) -> Bool { deliver(event, batch: nil) }

    func offer(_ event: SessionEvent, batch: DeliveryBatch) -> Bool { deliver(event, batch: batch) }

    private func deliver(_ event: SessionEvent, batch: DeliveryBatch?) -> Bool {
        let bytes = framing.frame(event, stages: hub.stages)
        switch batch.map({ transport.send(event: bytes, batch: $0) }) ?? transport.send(bytes) {
        case .enqueued:
            if let afterDelivery { DispatchQueue.global().async { afterDelivery(event) } }
            return true
        case .overflow:
            scheduleRetry()
            return false
        case .closed:
            // The peer is gone; the transport's close handler unsubscribes. Taking the event avoids a pile-up.
            return true
        }
    }

    func subscriptionEnded(_ id: SubscriptionID, reason: String, message: String) {
        subscription.withLock { $0 = nil }
        transport.finishAfterSubscriptionEnded(reason: reason == "slow_consumer" ? "slow_consumer: \(message)" : reason)
    }

    private func scheduleRetry() {
        guard retrying.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.retryInterval) { [self] in
            retrying.store(false, ordering: .releasing)
            if let id = subscriptionID { hub.resume(id) }
        }
    }
}
