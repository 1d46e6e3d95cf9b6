/*
 * loadgen sessions: N sessions over M connections, an open-loop offer of cost_updates, each matched to its first
 * reflecting iteration_update (see the usage comment at the top of loadgen.c).
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBSCRIBE_SECONDS 30
#define SETTLE_SECONDS 0.25
#define DRAIN_SECONDS 5
#define MAX_ID_BYTES 128

int read_sessions_file(struct options *o) {
    FILE *f = fopen(o->sessions_file, "r");
    if (!f) { perror(o->sessions_file); return -1; }
    char *line = NULL;
    size_t size = 0;
    int cap = 0;
    while (getline(&line, &size, f) >= 0) {
        char *p = line, *end = line + strlen(line);
        while (isspace((unsigned char)*p)) p++;
        while (end > p && isspace((unsigned char)end[-1])) *--end = 0;
        if (!*p) continue;
        if (end - p >= MAX_ID_BYTES) { fprintf(stderr, "loadgen: session id too long: %s\n", p); return -1; }
        if (o->session_count == cap) {
            cap = cap ? 2 * cap : 1024;
            o->sessions = realloc(o->sessions, (size_t)cap * sizeof *o->sessions);
        }
        o->sessions[o->session_count++] = strdup(p);
    }
    free(line);
    fclose(f);
    if (o->session_count == 0) { fprintf(stderr, "loadgen: %s lists no session\n", o->sessions_file); return -1; }
    return 0;
}

/* An acked update waiting for its reflecting frame. */
struct pending {
    long long seq;
    long k;
};

struct session_state {
    struct pending *items;  /* items[head..len): sorted by seq */
    int head, len, cap;
    long long applied;      /* the newest last_applied_seq seen */
};

struct sessions_state {
    const struct options *o;
    int n, m;                /* sessions, connections */
    struct ws_conn *conns;
    struct session_state *sessions;
    int *slots;              /* open addressing: session id → index + 1 (0: empty) */
    unsigned slot_mask;
    struct open_loop ol;     /* answers: acks (timed: update_ack) and errors */
    uint64_t *frame_ns;      /* per update: due → reflecting frame (0: none yet) */
    struct samples frame, send_lag;
    long acked, matched, pending, frame_before_ack;
    long frames, iteration_updates, reflecting_frames;
    uint64_t last_frame_ns, rng;
    int running, subscribed;
    struct error_counts errors, subscribe_errors, other_errors;
};

static unsigned hash_id(const char *id) {
    unsigned h = 2166136261u;  /* FNV-1a */
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

static void index_sessions(struct sessions_state *st) {
    unsigned size = 16;
    while (size < 2u * (unsigned)st->n) size *= 2;
    st->slots = calloc(size, sizeof *st->slots);
    st->slot_mask = size - 1;
    for (int i = 0; i < st->n; i++) {
        unsigned h = hash_id(st->o->sessions[i]) & st->slot_mask;
        while (st->slots[h]) h = (h + 1) & st->slot_mask;
        st->slots[h] = i + 1;
    }
}

static struct session_state *find_session(struct sessions_state *st, const char *id) {
    for (unsigned h = hash_id(id) & st->slot_mask; st->slots[h]; h = (h + 1) & st->slot_mask)
        if (!strcmp(st->o->sessions[st->slots[h] - 1], id)) return &st->sessions[st->slots[h] - 1];
    return NULL;
}

/* Queues (seq, k), keeping the queue sorted by seq (acks of one session normally come in seq order). */
static void push_pending(struct session_state *s, long long seq, long k) {
    if (s->len == s->cap) {
        if (s->head > 0) {
            memmove(s->items, s->items + s->head, (size_t)(s->len - s->head) * sizeof *s->items);
            s->len -= s->head;
            s->head = 0;
        } else {
            s->cap = s->cap ? 2 * s->cap : 16;
            s->items = realloc(s->items, (size_t)s->cap * sizeof *s->items);
        }
    }
    int j = s->len++;
    while (j > s->head && s->items[j - 1].seq > seq) { s->items[j] = s->items[j - 1]; j--; }
    s->items[j] = (struct pending){.seq = seq, .k = k};
}

static uint64_t next_random(struct sessions_state *st) {
    st->rng ^= st->rng << 13;  /* xorshift64 */
    st->rng ^= st->rng >> 7;
    st->rng ^= st->rng << 17;
    return st->rng;
}

static int sessions_send(long k, void *ctx) {
    struct sessions_state *st = ctx;
    int s = (int)((k - 1) % st->n);
    char msg[MAX_ID_BYTES + 160];
    int len = snprintf(msg, sizeof msg,
                       "{\"type\":\"cost_update\",\"id\":\"%ld\",\"session_id\":\"%s\","
                       "\"delta_costs\":{\"indices\":[%llu],\"values\":[0.001]}}",
                       k, st->o->sessions[s], (unsigned long long)(next_random(st) % (uint64_t)st->o->dimension));
    uint64_t due = st->ol.t0 + (uint64_t)((double)(k - 1) * 1e9 / st->ol.rate);
    sample_add(&st->send_lag, ws_now_ns() - due);
    return ws_send_text(&shared_loop, &st->conns[s % st->m], msg, (size_t)len);
}

static void sessions_opened(struct ws_conn *c, void *ctx) {
    struct sessions_state *st = ctx;
    if (st->o->echo) return;
    for (int s = c->index; s < st->n; s += st->m) {
        char msg[MAX_ID_BYTES + 80];
        int len = snprintf(msg, sizeof msg, "{\"type\":\"subscribe\",\"id\":\"s%d\",\"session_id\":\"%s\"}", s,
                           st->o->sessions[s]);
        ws_send_text(&shared_loop, c, msg, (size_t)len);
    }
}

static void frame_arrived(struct sessions_state *st, const char *m, uint64_t now) {
    char id[MAX_ID_BYTES];
    struct session_state *s = json_string(m, "session_id", id, sizeof id) ? find_session(st, id) : NULL;
    if (!s) return;
    long long applied = json_int(m, "last_applied_seq");
    if (applied > s->applied) s->applied = applied;
    int reflected = 0;
    while (s->head < s->len && s->items[s->head].seq <= applied) {
        long k = s->items[s->head++].k;
        st->frame_ns[k] = now - st->ol.due[k] + 1;
        sample_add(&st->frame, st->frame_ns[k]);
        st->matched++;
        st->pending--;
        reflected = 1;
    }
    if (s->head == s->len) s->head = s->len = 0;
    st->iteration_updates += st->running;
    st->reflecting_frames += reflected;
}

static void ack_arrived(struct sessions_state *st, const char *m) {
    long long k = json_int(m, "ref");
    if (!open_loop_answer(&st->ol, k, 1)) return;
    st->acked++;
    struct session_state *s = &st->sessions[(k - 1) % st->n];
    long long seq = json_int(m, "seq");
    if (seq <= s->applied) { st->frame_before_ack++; return; }  /* the protocol promises this never happens */
    push_pending(s, seq, (long)k);
    st->pending++;
}

static void error_arrived(struct sessions_state *st, const char *m) {
    char ref[32] = "";
    json_string(m, "ref", ref, sizeof ref);
    if (ref[0] == 's') count_error(&st->subscribe_errors, m);
    else if (open_loop_answer(&st->ol, json_int(m, "ref"), 0)) count_error(&st->errors, m);
    else count_error(&st->other_errors, m);
}

/* With --echo, every message is an update coming back: its ack and its reflecting frame at once. */
static void echo_arrived(struct sessions_state *st, const char *m) {
    long long k = json_int(m, "id");
    if (!open_loop_answer(&st->ol, k, 1)) return;
    st->acked++;
    st->matched++;
    st->frame_ns[k] = st->ol.latency_ns[k];
    sample_add(&st->frame, st->frame_ns[k]);
}

static void sessions_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)c, (void)n;
    struct sessions_state *st = ctx;
    uint64_t now = ws_now_ns();
    if (st->running) {
        st->frames++;
        st->last_frame_ns = now;
    }
    if (st->o->echo) { echo_arrived(st, m); return; }
    char type[32] = "";
    json_string(m, "type", type, sizeof type);  /* the first "type" is the message's: servers write it first */
    if (!strcmp(type, "iteration_update")) frame_arrived(st, m, now);
    else if (!strcmp(type, "ack")) ack_arrived(st, m);
    else if (!strcmp(type, "error")) error_arrived(st, m);
    else if (!strcmp(type, "subscribed")) st->subscribed++;
}

static void write_trace(const struct sessions_state *st, const char *path) {
    FILE *trace = fopen(path, "w");
    if (!trace) return;
    for (long k = 1; k <= st->ol.offered; k++) {
        if (!st->ol.due[k]) continue;
        fprintf(trace, "%ld %ld %llu %lld %lld\n", k, (k - 1) % st->n, (unsigned long long)(st->ol.due[k] - st->ol.t0),
                st->ol.latency_ns[k] ? (long long)st->ol.latency_ns[k] - 1 : -1LL,
                st->frame_ns[k] ? (long long)st->frame_ns[k] - 1 : -1LL);
    }
    fclose(trace);
}

void run_sessions(const struct options *o) {
    struct sessions_state st = {.o = o, .n = o->session_count, .m = o->connections, .rng = o->seed ? o->seed : 1,
                                .ol = {.rate = o->rate, .total = (long)(o->rate * o->seconds)}};
    st.sessions = calloc((size_t)st.n, sizeof *st.sessions);
    st.frame_ns = calloc((size_t)st.ol.total + 1, sizeof *st.frame_ns);
    index_sessions(&st);
    ws_loop_init(&shared_loop, sessions_message, sessions_opened, &st);
    uint64_t t = ws_now_ns();
    st.conns = connect_all(o, st.m, 10);
    int opened = shared_loop.open_count, reachable = 0;
    for (int s = 0; s < st.n; s++) reachable += st.conns[s % st.m].state == WS_OPEN;
    while (!o->echo && st.subscribed + st.subscribe_errors.total < reachable && shared_loop.open_count > 0 &&
           !seconds_passed(t, SUBSCRIBE_SECONDS))
        ws_poll(&shared_loop, 5);
    double setup_seconds = (ws_now_ns() - t) / 1e9;
    uint64_t settle = ws_now_ns();
    while (!o->echo && !seconds_passed(settle, SETTLE_SECONDS)) ws_poll(&shared_loop, 5);

    st.running = 1;
    open_loop_offer(&st.ol, sessions_send, &st);
    uint64_t end = ws_now_ns();
    while ((st.ol.answered < st.ol.sent || st.pending > 0) && shared_loop.open_count > 0 &&
           !seconds_passed(end, DRAIN_SECONDS))
        ws_poll(&shared_loop, 5);
    double drained = (ws_now_ns() - end) / 1e9;
    if (getenv("LOADGEN_TRACE")) write_trace(&st, getenv("LOADGEN_TRACE"));

    double offer_span = st.ol.last_send_ns > st.ol.t0 ? (st.ol.last_send_ns - st.ol.t0) / 1e9 + 1 / o->rate : 0;
    double frame_span = st.last_frame_ns > st.ol.t0 ? (st.last_frame_ns - st.ol.t0) / 1e9 : 0;
    printf("{\"mode\":\"sessions\",\"echo\":%s,\"sessions\":%d,\"connections\":%d,\"opened\":%d,\"open_at_end\":%d,"
           "\"subscribed\":%d,\"subscribe_failed\":%d,",
           o->echo ? "true" : "false", st.n, st.m, opened, shared_loop.open_count, st.subscribed,
           o->echo ? 0 : st.n - st.subscribed);
    print_errors("subscribe_errors", &st.subscribe_errors);
    printf(",\"setup_seconds\":%.3f,\"rate\":%.1f,\"seconds\":%.3f,\"offered\":%ld,\"sent\":%ld,\"acked\":%ld,"
           "\"error_count\":%ld,",
           setup_seconds, o->rate, o->seconds, st.ol.offered, st.ol.sent, st.acked, st.errors.total);
    print_errors("errors", &st.errors);
    printf(",");
    print_errors("other_errors", &st.other_errors);
    printf(",\"matched\":%ld,\"unmatched\":%ld,\"unanswered\":%ld,\"frame_before_ack\":%ld,\"drain_seconds\":%.3f,"
           "\"achieved_offer_per_second\":%.1f,\"frames_received\":%ld,\"frames_per_second\":%.1f,"
           "\"iteration_updates\":%ld,\"reflecting_frames\":%ld,",
           st.matched, st.acked - st.matched, st.ol.sent - st.ol.answered, st.frame_before_ack, drained,
           offer_span > 0 ? st.ol.sent / offer_span : 0, st.frames, frame_span > 0 ? st.frames / frame_span : 0,
           st.iteration_updates, st.reflecting_frames);
    print_latency("update_frame", &st.frame);
    printf(",");
    print_latency("update_ack", &st.ol.latency);
    printf(",");
    print_latency("send_lag", &st.send_lag);
    printf("}\n");
}
