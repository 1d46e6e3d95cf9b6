import CLibwebsockets
import Dispatch
import Foundation
import Synchronization

/// HTTP + WebSocket server on one port, driven by libwebsockets on one dedicated service thread.
///
/// Threading: `start`, `run`, `beginDraining`, `shutdown` and `port` may be called from any thread. The handler is
/// called only on the service thread. Handles given to the handler are thread-safe. Lifecycle:
/// `idle → running → stopped`; a server is started at most once.
public final class TransportServer: Sendable {
    public let configuration: TransportConfiguration
    private let handler: any TransportHandler
    private let waker = TransportWaker()
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle: ~Copyable {
        enum Phase { case idle, starting, running, stopped }
        var phase = Phase.idle
        var port: Int?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public init(configuration: TransportConfiguration = .init(), handler: any TransportHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// The bound port (the real one when configured with port 0), or nil before `start()` succeeded.
    public var port: Int? { lifecycle.withLock { $0.port } }

    /// Starts the service thread and returns once the port is bound. Throws ``TransportError`` (`bind_failed` when
    /// the port is taken). Blocks the caller briefly; call it before entering async code or accept the short block.
    public func start() throws(TransportError) {
        try lifecycle.withLock { state throws(TransportError) in
            guard state.phase == .idle else { throw .alreadyStarted() }
            state.phase = .starting
        }
        let startup = StartupSignal()
        let thread = Thread { [configuration, handler, waker, self] in
            ServiceThread.run(configuration: configuration, handler: handler, waker: waker, startup: startup)
            self.didStop()
        }
        thread.name = "lws-service"
        thread.stackSize = 1 << 20
        thread.start()
        switch startup.wait() {
        case .success(let port):
            lifecycle.withLock { state in
                if state.phase == .starting { state.phase = .running }
                state.port = port
            }
        case .failure(let error):
            throw error
        }
    }

    /// Starts (if needed) and suspends until the server stopped (after `shutdown`).
    public func run() async throws {
        if lifecycle.withLock({ $0.phase == .idle }) { try start() }
        await waitUntilStopped()
    }

    /// Refuses new requests and upgrades with 503, tells the handler (`transportWillShutDown`), closes WebSockets
    /// with 1001 after their queued frames and finishes open streams. The server stops by itself once the last
    /// connection is gone; `shutdown(deadline:)` bounds the wait.
    public func beginDraining() { waker.post(.beginDraining) }

    /// Graceful stop: `beginDraining()`, wait for connections to finish until `deadline`, then stop the service
    /// thread (lws closes whatever is left). Returns when the thread has exited. Safe to call more than once.
    public func shutdown(deadline: ContinuousClock.Instant) async {
        guard lifecycle.withLock({ $0.phase != .idle && $0.phase != .stopped }) else {
            lifecycle.withLock { if $0.phase == .idle { $0.phase = .stopped } }
            return
        }
        beginDraining()
        let waker = self.waker
        let forceStop = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            waker.post(.stop)
        }
        await waitUntilStopped()
        forceStop.cancel()
    }

    /// Suspends until the service thread has exited (immediately if it never ran or already stopped).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = lifecycle.withLock { state -> Bool in
                if state.phase == .stopped || state.phase == .idle { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func didStop() {
        let waiters = lifecycle.withLock { state in
            state.phase = .stopped
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// One-shot hand-over of the bind result from the service thread to `start()`.
final class StartupSignal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<Int, TransportError>?>(nil)

    func signal(_ outcome: Result<Int, TransportError>) {
        result.withLock { $0 = outcome }
        semaphore.signal()
    }

    func wait() -> Result<Int, TransportError> {
        semaphore.wait()
        return result.withLock { $0! }
    }
}
