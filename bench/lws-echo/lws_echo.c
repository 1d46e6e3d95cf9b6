/*
 * lws-echo: a bare libwebsockets (4.1) echo server, the reference of `make bench-server`.
 *
 *   lws-echo PORT     listens on 127.0.0.1:PORT, prints "listening on 127.0.0.1:PORT", echoes every text message
 *
 * Same shape as solverd's transport: one service thread, every write in a WRITEABLE callback (one lws_write per
 * callback, asking for another while more is queued), per-connection FIFO of pending replies, UTF-8 validation on.
 * It does nothing with the message: the gap to solverd's ping→pong is solverd's own per-message cost.
 *
 * Fan-out reference (loadgen fanout against it): a message with "type":"subscribe" makes the connection a subscriber
 * (answered {"type":"subscribed"}); while any connection is subscribed, one with "type":"cost_update" is answered {"type":"ack","seq":N} and queues, for
 * every subscriber, an iteration_update of solverd's first-frame size and a convergence_signal, both with
 * "last_applied_seq":N — the bare lws broadcast idiom (lws_callback_on_writable per subscriber, one lws_write per
 * WRITEABLE), with nothing solved or encoded.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One queued reply; the payload follows LWS_PRE bytes of headroom lws_write needs in front of it. */
struct reply {
    struct reply *next;
    size_t len;
    unsigned char buf[];
};

/* Per-connection state (lws allocates and zeroes it): the reply FIFO, the message being reassembled, and the
 * connection's place in the subscriber list. */
struct connection {
    struct reply *head, *tail;
    unsigned char *partial;
    size_t partial_len;
    struct lws *wsi;
    struct connection *prev_subscriber, *next_subscriber;
    int subscribed;
};

static volatile sig_atomic_t interrupted;
static struct connection *subscribers;
static long long update_seq;

static void enqueue(struct connection *c, const void *data, size_t len) {
    struct reply *r = malloc(sizeof *r + LWS_PRE + len);
    if (!r) return;
    r->next = NULL;
    r->len = len;
    memcpy(r->buf + LWS_PRE, data, len);
    if (c->tail) c->tail->next = r; else c->head = r;
    c->tail = r;
}

static void enqueue_text(struct connection *c, const char *text) { enqueue(c, text, strlen(text)); }

static void unsubscribe(struct connection *c) {
    if (!c->subscribed) return;
    if (c->prev_subscriber) c->prev_subscriber->next_subscriber = c->next_subscriber; else subscribers = c->next_subscriber;
    if (c->next_subscriber) c->next_subscriber->prev_subscriber = c->prev_subscriber;
    c->subscribed = 0;
}

/* A complete message: subscribe, an update to fan out, or anything else (echoed). */
static void handle_message(struct connection *c, const unsigned char *message, size_t len) {
    /* Messages are short JSON; search a NUL-terminated copy of the start. */
    char head[512];
    size_t n = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, message, n);
    head[n] = 0;
    if (strstr(head, "\"type\":\"subscribe\"") && !c->subscribed) {
        c->subscribed = 1;
        c->prev_subscriber = NULL;
        c->next_subscriber = subscribers;
        if (subscribers) subscribers->prev_subscriber = c;
        subscribers = c;
        enqueue_text(c, "{\"type\":\"subscribed\"}");
    } else if (subscribers && strstr(head, "\"type\":\"cost_update\"")) {
        char text[640];
        snprintf(text, sizeof text, "{\"type\":\"ack\",\"seq\":%lld}", ++update_seq);
        enqueue_text(c, text);
        /* About the size of solverd's first iteration_update (550 bytes at n = 1,024). */
        snprintf(text, sizeof text, "{\"type\":\"iteration_update\",\"session_id\":\"bare-lws\",\"last_applied_seq\":%lld,"
                 "\"iteration\":3,\"residual\":1e-9,\"padding\":\"%0440d\"}", update_seq, 0);
        char signal[160];
        snprintf(signal, sizeof signal, "{\"type\":\"convergence_signal\",\"converged\":true,\"last_applied_seq\":%lld}",
                 update_seq);
        for (struct connection *s = subscribers; s; s = s->next_subscriber) {
            enqueue_text(s, text);
            enqueue_text(s, signal);
            lws_callback_on_writable(s->wsi);
        }
    } else {
        enqueue(c, message, len);
    }
    lws_callback_on_writable(c->wsi);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct connection *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        c->wsi = wsi;
        break;
    case LWS_CALLBACK_RECEIVE:
        /* Reassemble fragmented messages. */
        if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
            handle_message(c, in, len);
        } else {
            c->partial = realloc(c->partial, c->partial_len + len);
            memcpy(c->partial + c->partial_len, in, len);
            c->partial_len += len;
            if (!lws_is_final_fragment(wsi)) break;
            handle_message(c, c->partial, c->partial_len);
            free(c->partial);
            c->partial = NULL;
            c->partial_len = 0;
        }
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct reply *r = c->head;
        if (!r) break;
        if (lws_write(wsi, r->buf + LWS_PRE, r->len, LWS_WRITE_TEXT) < (int)r->len) return -1;
        c->head = r->next;
        if (!c->head) c->tail = NULL;
        free(r);
        if (c->head) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLOSED:
        unsubscribe(c);
        while (c->head) {
            struct reply *r = c->head;
            c->head = r->next;
            free(r);
        }
        free(c->partial);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"echo", callback, sizeof(struct connection), 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: lws-echo PORT\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = atoi(argv[1]);
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.pt_serv_buf_size = 64 * 1024;
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    struct lws_context *context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "lws-echo: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", info.port);
    fflush(stdout);
    while (!interrupted && lws_service(context, 0) >= 0) {
    }
    lws_context_destroy(context);
    return 0;
}
