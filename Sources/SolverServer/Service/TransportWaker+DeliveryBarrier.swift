import SolverSession

/// WebSocket subscribers' frames are written in the service thread's wake-up drain (`writeWithoutWaiting`), so
/// "after the next drain" is when a session's frame has reached every subscriber's socket that could take it.
extension TransportWaker: DeliveryBarrier {
    func afterQueuedDeliveries(_ done: @escaping @Sendable () -> Void) { afterNextDrain(done) }
}
