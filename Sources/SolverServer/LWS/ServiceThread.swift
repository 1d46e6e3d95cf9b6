import CLibwebsockets
import SolverSession

/// The body of the lws service thread: create the context here (so every lws call happens on this thread),
/// report the bind result, service until asked to stop, destroy the context.
enum ServiceThread {
    static func run(
        configuration: TransportConfiguration, handler: any TransportHandler, waker: TransportWaker,
        startup: StartupSignal
    ) {
        LWSContext.configureLogging
        // Every client of the node is served from this thread: it must never wait (checked by blocking calls).
        NonBlockingThread.markCurrentThread()
        let loop = ServiceLoop(configuration: configuration, handler: handler, waker: waker)
        let box = ServiceLoopBox(loop)
        // Invariant: `box` stays alive (this frame holds it) until after `context.destroy()` returned.
        let user = Unmanaged.passUnretained(box).toOpaque()
        let context: LWSContext
        do {
            context = try LWSContext(configuration: configuration, user: user)
        } catch {
            startup.signal(.failure(error))
            return
        }
        waker.attach(context.pointer)
        startup.signal(.success(context.port))

        while !loop.stopRequested {
            if lws_service(context.pointer, 0) < 0 { break }
            // Output announced while that turn ran (a solver worker that preempted this thread, or this thread's own
            // replies) is written now rather than after the next poll, which rescans every descriptor first: two
            // per WebSocket, 35-90 µs at 100 subscribers.
            loop.drainWakeups()
        }

        waker.attach(nil)
        context.destroy()
        withExtendedLifetime(box) {}
    }
}
