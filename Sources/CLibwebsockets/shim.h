// Re-exports for Swift: libwebsockets 4.1.6 macros that the Clang importer cannot see, and a few tiny helpers.
#ifndef SOLVERD_CLIBWEBSOCKETS_SHIM_H
#define SOLVERD_CLIBWEBSOCKETS_SHIM_H

#include <libwebsockets.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/sockios.h>
#endif

/// Bytes lws needs in front of every buffer passed to lws_write (frame / chunk headers are written there).
static const size_t CLWS_PRE = LWS_PRE;

/// A vhost port meaning "a server whose sockets the application adopts" (no listener of lws' own).
static const int CLWS_PORT_NO_LISTEN_SERVER = CONTEXT_PORT_NO_LISTEN_SERVER;

/// Pass as content length to lws_add_http_common_headers to say "no content-length" (connection closes at end).
static const unsigned long CLWS_ILLEGAL_HTTP_CONTENT_LEN = LWS_ILLEGAL_HTTP_CONTENT_LEN;

/// `lws_set_timeout(wsi, reason, CLWS_TO_KILL_ASYNC)` closes the wsi on the next service pass.
static const int CLWS_TO_KILL_ASYNC = LWS_TO_KILL_ASYNC;

/// The lws_write flag for one fragment of a multi-frame WebSocket message (wraps the inline helper so Swift gets
/// the enum type it expects).
static inline enum lws_write_protocol clws_ws_write_flags(enum lws_write_protocol initial, int is_start, int is_end) {
    return (enum lws_write_protocol)lws_write_ws_flags((int)initial, is_start, is_end);
}

/// `lws_write` mode that sends the bytes as they are (already framed WebSocket frames), after anything lws still
/// holds for the connection. A macro alias, so Swift cannot see it.
static const enum lws_write_protocol CLWS_WRITE_RAW = LWS_WRITE_RAW;

/// Options are a plain bit set in lws; some are macros that expand to casts Swift cannot import.
static const unsigned long long CLWS_OPTION_FAIL_UPON_UNABLE_TO_BIND = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
static const unsigned long long CLWS_OPTION_DO_SSL_GLOBAL_INIT = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
static const unsigned long long CLWS_OPTION_VALIDATE_UTF8 = LWS_SERVER_OPTION_VALIDATE_UTF8;
static const unsigned long long CLWS_OPTION_DISABLE_IPV6 = LWS_SERVER_OPTION_DISABLE_IPV6;

/// Bytes the kernel holds for `fd` that it has not even sent yet (the peer's receive window is shut): Linux
/// `SIOCOUTQNSD`. -1 when the platform cannot tell.
static inline int clws_unsent_bytes(int fd) {
#if defined(SIOCOUTQNSD)
    int count = 0;
    return ioctl(fd, SIOCOUTQNSD, &count) == 0 ? count : -1;
#else
    (void)fd;
    return -1;
#endif
}

/// A listening TCP socket on the numeric address `host`, port `port` (0: the kernel picks), set up as lws sets up
/// its own (SO_REUSEADDR, no SO_REUSEPORT: a second server on the port fails with EADDRINUSE instead of sharing its
/// connections). Non-blocking, close-on-exec. Returns the descriptor and stores the bound port in `*bound_port`, or
/// returns -1 with `errno` set (EADDRNOTAVAIL when `host` is not a numeric address).
static inline int clws_listen(const char *host, int port, int backlog, int *bound_port) {
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &found) != 0 || !found) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1, failed = fd < 0;
    if (!failed) failed = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
                          bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, backlog) != 0;
    freeaddrinfo(found);
    struct sockaddr_storage bound;
    socklen_t length = sizeof bound;
    if (!failed) failed = getsockname(fd, (struct sockaddr *)&bound, &length) != 0;
    if (failed) {
        int saved = errno;
        if (fd >= 0) close(fd);
        errno = saved;
        return -1;
    }
    *bound_port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                              : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

/// One pending connection from a listener of `clws_listen`, set up as lws sets up those it accepts itself
/// (non-blocking, TCP_NODELAY), or -1 (`errno` EAGAIN when none is waiting).
static inline int clws_accept(int listener) {
    int fd = accept(listener, NULL, NULL);  /* accept4 would need _GNU_SOURCE in this shared header */
    if (fd < 0) return -1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        close(fd);
        errno = EAGAIN;  /* dropped; lws polls the listener again and the caller takes the next then */
        return -1;
    }
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}

/// Aborts a TCP connection (RFC 793 ABORT): linger 0, so whoever closes the descriptor sends RST; on Linux also
/// `connect(AF_UNSPEC)`, which sends the RST now, drops everything still queued for the peer and leaves the socket
/// reporting POLLHUP, so lws closes the wsi on its next poll. The descriptor stays valid (lws still owns it).
/// Returns 0 when the RST went out now.
static inline int clws_abort_connection(int fd) {
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
#if defined(__linux__)
    struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
    return connect(fd, &unspecified, sizeof unspecified);
#else
    return -1;
#endif
}

/// Ends a request body that lws reads without a length (a chunked POST/PUT/PATCH) once the application has seen its
/// end, so the connection can be kept alive. lws 4.1 gives such a body an `rx_content_length` of 100 MiB, has no API
/// to end it early, and `lws_http_transaction_completed` would then discard what follows (the next request) as the
/// rest of that body. This sets the private `wsi->http.rx_content_remain` to 0 from inside LWS_CALLBACK_HTTP_BODY;
/// lws then calls LWS_CALLBACK_HTTP_BODY_COMPLETION as for a body that arrived in full.
///
/// Invariant: only for an LP64 4.1.x build configured like Debian's (checked below; the runtime library must be 4.1.x
/// too). The offsets of `http.rx_content_length` (152) and `http.rx_content_remain` (160) in `struct lws` follow from
/// lws 4.1.6 `core-net/private-lib-core-net.h` and `roles/http/private-lib-roles-http.h` with this lws_config.h.
/// Nothing is written unless both fields hold exactly what lws stores after `delivered` body bytes (100 MiB, and
/// 100 MiB - delivered); the accesses stay within the first 168 bytes of the 840-byte struct. Returns 1 when the body
/// was ended; 0 (unsupported, unrecognised): the caller must close the connection after its response instead.
static inline int clws_end_unbounded_body(struct lws *wsi, unsigned long long delivered) {
#if LWS_LIBRARY_VERSION_MAJOR == 4 && LWS_LIBRARY_VERSION_MINOR == 1 && defined(__LP64__) && defined(LWS_ROLE_H1) && \
    defined(LWS_WITH_FILE_OPS) && defined(LWS_WITH_CLIENT) && !defined(LWS_WITH_RANGES) && \
    !defined(LWS_WITH_ACCESS_LOG) && !defined(LWS_WITH_CGI) && !defined(LWS_WITH_HTTP_STREAM_COMPRESSION) && \
    !defined(LWS_WITH_HTTP_PROXY)
    const unsigned long long unbounded = 100ull * 1024 * 1024;
    unsigned char *base = (unsigned char *)wsi;
    unsigned long long length, remain;
    if (strncmp(lws_get_library_version(), "4.1.", 4) != 0 || delivered > unbounded) return 0;
    memcpy(&length, base + 152, sizeof length);
    memcpy(&remain, base + 160, sizeof remain);
    if (length != unbounded || remain != unbounded - delivered) return 0;
    remain = 0;
    memcpy(base + 160, &remain, sizeof remain);
    return 1;
#else
    (void)wsi;
    (void)delivered;
    return 0;
#endif
}

/// XORs `count` bytes of a WebSocket payload with the masking key (RFC 6455 §5.3) in place; `key` holds the key's
/// bytes first-lowest, already rotated to the payload position of `bytes[0]`. In C so that debug builds, where
/// Swift byte loops run unoptimised, still unmask megabytes quickly.
static inline void clws_unmask(unsigned char *bytes, size_t count, unsigned int key) {
    unsigned char mask[4] = {(unsigned char)key, (unsigned char)(key >> 8), (unsigned char)(key >> 16),
                             (unsigned char)(key >> 24)};
    unsigned long long wide = 0;
    for (int i = 0; i < 8; i++) wide |= (unsigned long long)mask[i & 3] << (8 * i);
    size_t index = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; index + 8 <= count; index += 8) {
        unsigned long long word;
        memcpy(&word, bytes + index, 8);
        word ^= wide;  /* byte i of `wide` (little-endian) is mask[i & 3] */
        memcpy(bytes + index, &word, 8);
    }
#endif
    for (; index < count; index++) bytes[index] ^= mask[index & 3];
}

#endif
