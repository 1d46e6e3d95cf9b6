import CLibwebsockets
import SolverSession

#if canImport(Glibc)
import Glibc
#endif

/// The body of the lws service thread: create the context here (so every lws call happens on this thread),
/// report the bind result, service until asked to stop, destroy the context.
enum ServiceThread {
    static func run(
        configuration: TransportConfiguration, handler: any TransportHandler, waker: TransportWaker,
        placement: ServiceLoop.Placement, listenerPort: Int?, listener: ServerListener?, startup: StartupSignal
    ) {
        LWSContext.configureLogging
        // Every client of the node is served from this thread: it must never wait (checked by blocking calls).
        NonBlockingThread.markCurrentThread()
        let loop = ServiceLoop(configuration: configuration, handler: handler, waker: waker, placement: placement)
        let box = ServiceLoopBox(loop)
        // Invariant: `box` stays alive (this frame holds it) until after `context.destroy()` returned.
        let user = Unmanaged.passUnretained(box).toOpaque()
        let context: LWSContext
        do {
            context = try LWSContext(configuration: configuration, listenerPort: listenerPort, user: user)
        } catch {
            if let listener { close(listener.descriptor) }
            startup.signal(.failure(error))
            return
        }
        loop.vhost = context.vhost
        if let listener, !loop.adoptListener(listener.descriptor) {
            context.destroy()
            startup.signal(.failure(.contextCreationFailed("lws could not adopt the listening socket on port \(listener.port)")))
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
        // Sockets dealt to this thread after its last drain: nobody will serve them.
        for case .adopt(let socket) in waker.drain(continuing: false).commands { close(socket) }
        context.destroy()
        withExtendedLifetime(box) {}
    }
}
