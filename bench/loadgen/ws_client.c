/* ws_client: see ws_client.h. */
#define _GNU_SOURCE
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ws_now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t ws_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }

static void buf_append(struct ws_buf *b, const void *data, size_t len) {
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + len + 1) cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) { perror("realloc"); exit(1); }
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void buf_consume(struct ws_buf *b, size_t n) {
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static void buf_free(struct ws_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int ws_loop_init(struct ws_loop *loop, ws_message_fn on_message, ws_open_fn on_open, void *ctx) {
    memset(loop, 0, sizeof *loop);
    loop->epfd = epoll_create1(0);
    loop->on_message = on_message;
    loop->on_open = on_open;
    loop->ctx = ctx;
    return loop->epfd < 0 ? -1 : 0;
}

static void watch(struct ws_loop *loop, struct ws_conn *c, int op, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(loop->epfd, op, c->fd, &ev);
}

int ws_connect(struct ws_loop *loop, struct ws_conn *c, int port, const char *path) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (loop->kernel_timestamps) setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  /* loopback only, always */
    c->state = WS_CONNECTING;
    c->started_ns = ws_now_ns();
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        int saved = errno;
        close(c->fd);
        c->fd = -1;
        c->state = WS_CLOSED;
        errno = saved;
        return -1;
    }
    /* The request is queued now and written when the socket becomes writable. */
    char request[512];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, port);
    buf_append(&c->out, request, (size_t)n);
    watch(loop, c, EPOLL_CTL_ADD, EPOLLIN | EPOLLOUT);
    return 0;
}

void ws_close(struct ws_loop *loop, struct ws_conn *c) {
    if (c->state == WS_CLOSED) return;
    if (c->state == WS_OPEN) loop->open_count--;
    loop->closed_count++;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = WS_CLOSED;
    buf_free(&c->in);
    buf_free(&c->out);
}

/* Writes as much of the output buffer as the kernel takes; asks for EPOLLOUT while something is left. */
static void flush_out(struct ws_loop *loop, struct ws_conn *c) {
    size_t had = c->out.len;
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            ws_close(loop, c);
            return;
        }
        buf_consume(&c->out, (size_t)n);
    }
    if (c->state == WS_CONNECTING) return;  /* EPOLLOUT stays armed until connected */
    if (had > 0 && c->out.len == 0) watch(loop, c, EPOLL_CTL_MOD, EPOLLIN);
    else if (had == 0 && c->out.len > 0) watch(loop, c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
}

/* Appends one masked frame (RFC 6455 §5.2: clients always mask) with the given opcode. */
static void queue_frame(struct ws_conn *c, int opcode, const char *payload, size_t len) {
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t head[14];
    size_t h = 0;
    head[h++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        head[h++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        head[h++] = 0x80 | 126;
        head[h++] = (uint8_t)(len >> 8);
        head[h++] = (uint8_t)len;
    } else {
        head[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) head[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    memcpy(head + h, key, 4);
    h += 4;
    buf_append(&c->out, head, h);
    buf_append(&c->out, payload, len);
    char *dst = c->out.data + c->out.len - len;
    for (size_t i = 0; i < len; i++) dst[i] ^= (char)key[i & 3];
}

int ws_send_text(struct ws_loop *loop, struct ws_conn *c, const char *text, size_t len) {
    if (c->state != WS_OPEN) return -1;
    size_t had = c->out.len;
    queue_frame(c, 0x1, text, len);
    if (had == 0) flush_out(loop, c);  /* otherwise EPOLLOUT is armed and will write it in order */
    return c->state == WS_OPEN ? 0 : -1;
}

/* Parses the 101 response; returns 1 when the handshake finished, 0 when more is needed, -1 on refusal. */
static int parse_handshake(struct ws_loop *loop, struct ws_conn *c) {
    c->in.data[c->in.len] = 0;
    char *end = strstr(c->in.data, "\r\n\r\n");
    if (!end) return c->in.len > 8192 ? -1 : 0;
    if (strncmp(c->in.data, "HTTP/1.1 101", 12) != 0) return -1;
    buf_consume(&c->in, (size_t)(end + 4 - c->in.data));
    c->state = WS_OPEN;
    c->open_ns = ws_now_ns();
    loop->open_count++;
    if (loop->on_open) loop->on_open(c, loop->ctx);
    return 1;
}

/* Handles every complete frame in the input buffer. Fragments are joined in place (the payloads are small). */
static void parse_frames(struct ws_loop *loop, struct ws_conn *c) {
    size_t pos = 0;
    while (c->state == WS_OPEN && c->in.len - pos >= 2) {
        const uint8_t *p = (const uint8_t *)c->in.data + pos;
        size_t avail = c->in.len - pos, h = 2;
        uint64_t len = p[1] & 0x7f;
        if (len == 126) {
            if (avail < 4) break;
            len = ((uint64_t)p[2] << 8) | p[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = (len << 8) | p[2 + i];
            h = 10;
        }
        if (p[1] & 0x80) h += 4;  /* servers do not mask; tolerate it by skipping the key (payload stays masked) */
        if (avail < h + len) break;
        int opcode = p[0] & 0x0f, fin = p[0] & 0x80;
        char *payload = c->in.data + pos + h;
        if (opcode == 0x9) {
            char copy[126];
            size_t n = len < sizeof copy ? (size_t)len : sizeof copy;
            memcpy(copy, payload, n);
            queue_frame(c, 0xA, copy, n);
            flush_out(loop, c);
        } else if (opcode == 0x8) {
            ws_close(loop, c);
            return;
        } else if (opcode <= 0x2 && fin) {
            char saved = payload[len];
            payload[len] = 0;
            loop->on_message(c, payload, (size_t)len, loop->ctx);
            if (c->state != WS_OPEN) return;
            payload = c->in.data + pos + h;  /* the callback may have sent, never received: data is unmoved */
            payload[len] = saved;
        }
        /* A non-final fragment is skipped: the messages this tool exchanges fit in one frame. */
        pos += h + len;
    }
    if (pos > 0 && c->state == WS_OPEN) buf_consume(&c->in, pos);
}

/* recv(2), plus the kernel's receive time of the last segment read when SO_TIMESTAMPNS is on (TCP reports the
 * newest segment a read consumed, so a message's time is never earlier than its last byte's arrival). */
static ssize_t receive(struct ws_conn *c, char *chunk, size_t size) {
    struct iovec iov = {.iov_base = chunk, .iov_len = size};
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(c->fd, &msg, 0);
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            c->rx_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        }
    }
    return n;
}

static void on_readable(struct ws_loop *loop, struct ws_conn *c) {
    char chunk[65536];
    for (;;) {
        ssize_t n = receive(c, chunk, sizeof chunk);
        if (n == 0) { ws_close(loop, c); return; }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) ws_close(loop, c);
            break;
        }
        buf_append(&c->in, chunk, (size_t)n);
        if ((size_t)n < sizeof chunk) break;
    }
    if (c->state == WS_HANDSHAKE && parse_handshake(loop, c) < 0) { ws_close(loop, c); return; }
    if (c->state == WS_OPEN) parse_frames(loop, c);
}

static int handle_events(struct ws_loop *loop, struct epoll_event *events, int n) {
    for (int i = 0; i < n; i++) {
        struct ws_conn *c = events[i].data.ptr;
        if (c->state == WS_CLOSED) continue;
        if (events[i].events & (EPOLLERR | EPOLLHUP) && c->state == WS_CONNECTING) { ws_close(loop, c); continue; }
        if (events[i].events & EPOLLOUT) {
            if (c->state == WS_CONNECTING) {
                c->state = WS_HANDSHAKE;
                flush_out(loop, c);
                if (c->state != WS_CLOSED) watch(loop, c, EPOLL_CTL_MOD, c->out.len ? EPOLLIN | EPOLLOUT : EPOLLIN);
            } else {
                flush_out(loop, c);
            }
        }
        if (c->state != WS_CLOSED && events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(loop, c);
    }
    return n < 0 ? 0 : n;
}

int ws_poll(struct ws_loop *loop, int timeout_ms) {
    struct epoll_event events[256];
    return handle_events(loop, events, epoll_wait(loop->epfd, events, 256, timeout_ms));
}

int ws_poll_until(struct ws_loop *loop, uint64_t deadline_ns) {
    struct epoll_event events[256];
    uint64_t now = ws_now_ns(), wait = deadline_ns > now ? deadline_ns - now : 0;
    struct timespec timeout = {.tv_sec = (time_t)(wait / 1000000000u), .tv_nsec = (long)(wait % 1000000000u)};
    return handle_events(loop, events, epoll_pwait2(loop->epfd, events, 256, &timeout, NULL));
}

long long json_int(const char *msg, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(msg, pattern);
    if (!p) return 0;
    p += strlen(pattern);
    while (*p == ' ' || *p == '"') p++;
    return strtoll(p, NULL, 10);
}

int json_type_is(const char *msg, const char *type) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"type\":\"%s\"", type);
    return strstr(msg, pattern) != NULL;
}

int json_string(const char *msg, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(msg, pattern), *end = p ? strchr(p + strlen(pattern), '"') : NULL;
    if (!end || size == 0) return 0;
    p += strlen(pattern);
    size_t n = (size_t)(end - p) < size - 1 ? (size_t)(end - p) : size - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return 1;
}
