import CLibwebsockets

#if canImport(Glibc)
import Glibc
#endif

/// Accepting for a server with several service threads (``ServerListener``): loop 0 polls the listener as an lws
/// raw file, accepts, and deals the connections out in turn; each loop hands its own to lws, which serves them like
/// ones it accepted itself. Dealing in turn (not by whichever thread is awake) splits a burst of subscribers of one
/// session evenly, so a fan-out's writes divide between the threads.
extension ServiceLoop {
    /// Connections taken per readable listener before other descriptors get a turn (lws polls level-triggered, so
    /// the rest are taken on the next pass).
    static let acceptsPerPass = 64

    /// Adopts `descriptor` (the listening socket) into the context. On failure the descriptor is closed.
    func adoptListener(_ descriptor: Int32) -> Bool {
        var file = lws_sock_file_fd_type()
        file.filefd = descriptor
        guard let vhost,
            let wsi = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, file, LWSContext.httpProtocolName, nil)
        else {
            close(descriptor)  // lws leaves a raw file descriptor it failed to adopt open
            return false
        }
        listenerWsi = wsi
        listenerDescriptor = descriptor
        return true
    }

    /// LWS_CALLBACK_RAW_RX_FILE on the listener. Always 0: closing the listener would stop the server accepting.
    /// While draining, this loop keeps what it accepts (and refuses it with 503 like every loop does then): the
    /// others may already have stopped.
    func acceptConnections() -> Int32 {
        for _ in 0..<Self.acceptsPerPass {
            let socket = clws_accept(listenerDescriptor)
            guard socket >= 0 else { break }
            let target = draining ? placement.index : nextAcceptingLoop
            nextAcceptingLoop = (nextAcceptingLoop + 1) % placement.count
            if target == placement.index {
                adoptConnection(socket)
            } else {
                placement.peers[target].post(.adopt(socket))
            }
        }
        return 0
    }

    /// Hands an accepted socket to lws (which closes it itself when it cannot adopt it: its table is full).
    func adoptConnection(_ socket: Int32) {
        guard let vhost else {
            close(socket)
            return
        }
        _ = lws_adopt_socket_vhost(vhost, socket)
    }
}
