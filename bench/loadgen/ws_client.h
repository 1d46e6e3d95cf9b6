/*
 * ws_client: a minimal non-blocking WebSocket client over epoll, for load generation on loopback.
 *
 * Scope: plain TCP (no TLS), HTTP/1.1 upgrade with a fixed key (the Sec-WebSocket-Accept is not checked, only the
 * 101 status), masked text frames out, unfragmented or fragmented frames in (control frames answered: ping → pong,
 * close → closed). No extensions are offered, so the server never compresses. One thread drives everything.
 */
#ifndef WS_CLIENT_H
#define WS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

enum ws_state { WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_CLOSED };

struct ws_buf {
    char *data;
    size_t len, cap;
};

struct ws_conn {
    int fd;
    int index;              /* position in the caller's array */
    enum ws_state state;
    uint64_t started_ns;    /* connect() called */
    uint64_t open_ns;       /* 101 received */
    uint64_t rx_realtime_ns;  /* with ws_loop.kernel_timestamps: when the kernel queued the newest input read (0: unknown) */
    struct ws_buf in, out;  /* unparsed input; output not yet accepted by the kernel */
    void *user;
};

/* Called for each complete text or binary message (payload is NUL-terminated, len excludes the NUL). */
typedef void (*ws_message_fn)(struct ws_conn *c, const char *payload, size_t len, void *ctx);
/* Called once when the handshake completes. */
typedef void (*ws_open_fn)(struct ws_conn *c, void *ctx);

struct ws_loop {
    int epfd;
    ws_message_fn on_message;
    ws_open_fn on_open;
    void *ctx;
    int open_count, closed_count;
    /* Set before connecting: every socket asks for SO_TIMESTAMPNS, so a message's arrival is known apart from when
     * this (single) thread got round to it. Used by fanout, where one thread reads 100 subscribers' frames. */
    int kernel_timestamps;
};

uint64_t ws_now_ns(void);
/* CLOCK_REALTIME in ns: the clock of kernel receive timestamps. */
uint64_t ws_realtime_ns(void);
int ws_loop_init(struct ws_loop *loop, ws_message_fn on_message, ws_open_fn on_open, void *ctx);
/* Starts a connection to 127.0.0.1:port, upgrading on `path`. Returns 0, or -1 with errno (e.g. EMFILE). */
int ws_connect(struct ws_loop *loop, struct ws_conn *c, int port, const char *path);
/* Queues one masked text frame and tries to write it at once. Returns -1 when the connection is closed. */
int ws_send_text(struct ws_loop *loop, struct ws_conn *c, const char *text, size_t len);
/* Waits at most timeout_ms for events and handles them. Returns the number of events handled. */
int ws_poll(struct ws_loop *loop, int timeout_ms);
/* The same until the CLOCK_MONOTONIC time deadline_ns (ns resolution: epoll_pwait2), for open-loop schedules. */
int ws_poll_until(struct ws_loop *loop, uint64_t deadline_ns);
void ws_close(struct ws_loop *loop, struct ws_conn *c);

/* Small JSON helpers for flat server messages: the integer after "key": (0 when absent); 1 when type matches. */
long long json_int(const char *msg, const char *key);
int json_type_is(const char *msg, const char *type);
/* Copies the string after "key":" (at most size - 1 bytes, no unescaping) into out; 0 when absent. */
int json_string(const char *msg, const char *key, char *out, size_t size);

#endif
