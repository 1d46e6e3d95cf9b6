import CLibwebsockets

#if canImport(Glibc)
import Glibc
#endif

/// The listening socket of a server with several service threads. lws 4.1 cannot share one port between contexts
/// (it sets SO_REUSEPORT only on Windows, and SO_REUSEPORT would let another server of the same user take half of
/// the connections silently), so the server opens it itself: the first service thread accepts and deals the
/// connections out in turn (`ServiceLoop+Accept`).
struct ServerListener: Sendable {
    let descriptor: Int32
    let port: Int

    /// Listens on `host`:`port` (0: the kernel picks). nil when `host` is not a numeric address (an interface name):
    /// then lws listens itself, on one thread. Throws `bind_failed` when the port is taken.
    static func open(host: String, port: Int) throws(TransportError) -> ServerListener? {
        var bound: Int32 = 0
        let fd = clws_listen(host, Int32(port), SOMAXCONN, &bound)
        guard fd >= 0 else {
            if errno == EADDRNOTAVAIL && !isNumericAddress(host) { return nil }
            throw .bindFailed(host: host, port: port)
        }
        return ServerListener(descriptor: fd, port: Int(bound))
    }

    private static func isNumericAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
