import CLibwebsockets
import Dispatch
import Foundation
import Synchronization

/// HTTP + WebSocket server on one port, driven by libwebsockets on `configuration.serviceThreads` dedicated service
/// threads (one lws context each, sharing the port).
///
/// Threading: `start`, `run`, `beginDraining`, `shutdown` and `port` may be called from any thread. The handler is
/// called only on service threads (a connection's calls always on the same one). Handles given to the handler are
/// thread-safe. Lifecycle: `idle → running → stopped` (once every service thread has exited); a server is started
/// at most once.
public final class TransportServer: Sendable {
    public let configuration: TransportConfiguration
    private let handler: any TransportHandler
    /// One per service thread, in start order. The first accepts (its lws listens when it is the only one) and leads
    /// a drain.
    private let wakers: [TransportWaker]
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle: ~Copyable {
        enum Phase { case idle, starting, running, stopped }
        var phase = Phase.idle
        var port: Int?
        /// Service threads started and not exited yet.
        var threads = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public init(configuration: TransportConfiguration = .init(), handler: any TransportHandler) {
        var configuration = configuration
        configuration.serviceThreads = max(1, configuration.serviceThreads)
        self.configuration = configuration
        self.handler = handler
        self.wakers = (0..<configuration.serviceThreads).map { _ in TransportWaker() }
    }

    /// The bound port (the real one when configured with port 0), or nil before `start()` succeeded.
    public var port: Int? { lifecycle.withLock { $0.port } }

    /// Starts the service threads one after another and returns once all have bound the port. Throws
    /// ``TransportError`` (`bind_failed` when the port is taken), after stopping any thread already serving.
    /// Blocks the caller briefly; call it before entering async code or accept the short block.
    public func start() throws(TransportError) {
        try lifecycle.withLock { state throws(TransportError) in
            guard state.phase == .idle else { throw .alreadyStarted() }
            state.phase = .starting
        }
        let listener: ServerListener?
        do {
            listener =
                wakers.count > 1 ? try ServerListener.open(host: configuration.host, port: configuration.port) : nil
        } catch {
            lifecycle.withLock { $0.phase = .stopped }
            throw error
        }
        // Without a listener of its own (one thread, or a host lws must resolve) the first thread's lws listens.
        let threads = listener == nil ? 1 : wakers.count
        var port = configuration.port
        for index in 0..<threads {
            // The first thread takes the listener (and closes it if it fails).
            switch startThread(index, of: threads, listenerPort: listener?.port, listener: index == 0 ? listener : nil) {
            case .success(let bound):
                port = bound
            case .failure(let error):
                for waker in wakers.prefix(index) { waker.post(.stop) }
                throw error
            }
        }
        lifecycle.withLock { state in
            if state.phase == .starting { state.phase = .running }
            state.port = port
        }
    }

    /// Runs service thread `index` of `count` and waits for its bind result. With `listenerPort`, its context binds
    /// nothing: the server's own listener (given to thread 0) feeds every thread.
    private func startThread(
        _ index: Int, of count: Int, listenerPort: Int?, listener: ServerListener?
    ) -> Result<Int, TransportError> {
        let startup = StartupSignal()
        let wakers = Array(self.wakers.prefix(count))
        let placement = ServiceLoop.Placement(index: index, peers: wakers)
        lifecycle.withLock { $0.threads += 1 }
        let thread = Thread { [configuration, handler, self] in
            ServiceThread.run(
                configuration: configuration, handler: handler, waker: wakers[index], placement: placement,
                listenerPort: listenerPort, listener: listener, startup: startup)
            self.threadDidStop()
        }
        thread.name = wakers.count == 1 ? "lws-service" : "lws-service-\(index)"
        thread.stackSize = 1 << 20
        thread.start()
        return startup.wait()
    }

    /// Refuses new requests and upgrades with 503, tells the handler (`transportWillShutDown`), closes WebSockets
    /// with 1001 after their queued frames and finishes open streams. The server stops by itself once the last
    /// connection is gone; `shutdown(deadline:)` bounds the wait.
    public func beginDraining() { wakers[0].post(.beginDraining) }

    /// Graceful stop: `beginDraining()`, wait for connections to finish until `deadline`, then stop the service
    /// threads (lws closes whatever is left). Returns when every thread has exited. Safe to call more than once.
    public func shutdown(deadline: ContinuousClock.Instant) async {
        guard lifecycle.withLock({ $0.phase != .idle && $0.phase != .stopped }) else {
            lifecycle.withLock { if $0.phase == .idle { $0.phase = .stopped } }
            return
        }
        beginDraining()
        let wakers = self.wakers
        let forceStop = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            for waker in wakers { waker.post(.stop) }
        }
        await waitUntilStopped()
        forceStop.cancel()
    }

    /// Starts (if needed) and suspends until the server stopped (after `shutdown`).
    public func run() async throws {
        if lifecycle.withLock({ $0.phase == .idle }) { try start() }
        await waitUntilStopped()
    }

    /// Suspends until every service thread has exited (immediately if it never ran or already stopped).
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

    /// A service thread exited. The server has stopped once they all have (a thread that exits early, say by a
    /// drain with no connections of its own, leaves the others serving).
    private func threadDidStop() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.threads -= 1
            guard state.threads == 0 else { return [] }
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
