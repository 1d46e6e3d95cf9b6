/*
 * loadgen: the compiled WebSocket load generator of `make bench-server` (bench/bench_server.py drives it).
 * All traffic goes to 127.0.0.1. Every mode is bounded in count and in time, and prints one JSON line on stdout.
 *
 *   connect    --port P --count N [--concurrency C] [--hold-seconds H]
 *              Opens N connections, at most C handshaking at once; times each from connect() to the 101.
 *              With --hold-seconds, keeps them open after the report (answering pings) until stdin closes or H s.
 * --session takes one id or a comma-separated list; cost_update k goes to the list's session k mod its length.
 *
 *   rtt        --port P --session ID --count N [--n DIM]
 *              One connection; cost_update → ack, one at a time (20 warm-up round trips are not recorded).
 *   fanout     --port P --session ID --subscribers S --rounds R [--n DIM]
 *              S connections subscribe to the session; per round one more connection sends a cost_update and each
 *              subscriber times its first iteration_update whose last_applied_seq moved past the previous round's:
 *              "fanout" when this thread handled it, "fanout_arrival" when the kernel received its last segment
 *              (SO_TIMESTAMPNS). One thread reads all S sockets, so the first includes its own turn-taking; the
 *              second is what S separate clients would see. With $LOADGEN_TRACE, one line per subscriber and round.
 *   throughput --port P --connections N --window W --seconds T --message ping|cost_update [--session ID] [--path /]
 *              N connections each keep W requests in flight; replies per second over T seconds (after 0.5 s warm-up).
 *              An echo server answers a ping with the ping itself, so the same run measures the bare lws echo.
 *              Error replies are counted apart ("errors"; they are replies too).
 *   acks       --port P --session ID[,ID...] --connections N --rate R --seconds T [--n DIM]
 *              Open loop: cost_update k (1-based, "id":"k") is due at (k - 1) / R s and sent on connection (k - 1) mod N
 *              however many are still unanswered. Each is answered by an ack (timed) or an error (counted by code)
 *              with "ref":"k"; ack latency runs from the due time, so a stall counts against every update it delayed
 *              (no coordinated omission). Other frames are ignored. After T s, waits at most 5 s for the answers
 *              still outstanding ("unanswered" after that).
 *   ping       --port P --interval-ms I --seconds T
 *              Open loop on one connection: a ping every I ms, each pong timed from the ping's due time (by ref);
 *              lost = pings unanswered 1 s after the last. With $LOADGEN_SAMPLES, one line per ping to that file:
 *              "<due time, CLOCK_REALTIME ns> <RTT ns, -1 if lost>".
 *   sessions   --port P --sessions-file PATH --connections M --rate R --seconds T [--n DIM] [--seed S] [--echo]
 *              (sessions_mode.c) N sessions (one id a line; or --session) over M connections: session s is served
 *              by connection s mod M, which subscribes to it first (the run starts once every subscription is
 *              answered, 30 s at most, then 0.25 s for the replayed events). Open loop: update k (1-based) is due at
 *              (k - 1) / R s, goes to session (k - 1) mod N (round robin: each session gets R / N per second, evenly
 *              spaced) on its connection, and adds 0.001 to a pseudo-random row < DIM (xorshift seeded by S). Its
 *              ack (seq) is timed from the due time ("update_ack"); its first iteration_update of that session with
 *              last_applied_seq >= seq is "update_frame" (due → arrival: a stall counts against every update it
 *              delayed). After T s, waits at most 5 s: "unmatched" = acked without a reflecting frame (dropped),
 *              "unanswered" = neither ack nor error. "send_lag" = due → sent (the generator's own lateness).
 *              --echo: the same messages against an echo server (--path /): the echo is both ack and frame, giving
 *              the transport + client floor at that rate and connection count. With $LOADGEN_TRACE, one line per
 *              update: "<k> <session> <due ns after start> <ack ns after due> <frame ns after due>" (-1: none).
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sample_add(struct samples *s, uint64_t ns) {
    if (s->count == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->ns = realloc(s->ns, (size_t)s->cap * sizeof *s->ns);
    }
    s->ns[s->count++] = ns;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of sorted samples in µs (q = 1: the maximum; 0 without samples). */
static double quantile_us(const struct samples *s, double q) {
    if (s->count == 0) return 0;
    int i = (int)(q * s->count);
    return s->ns[i < s->count ? i : s->count - 1] / 1e3;
}

void print_latency(const char *name, struct samples *s) {
    qsort(s->ns, (size_t)s->count, sizeof *s->ns, compare_u64);
    printf("\"%s\":{\"count\":%d,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}",
           name, s->count, quantile_us(s, 0.5), quantile_us(s, 0.9), quantile_us(s, 0.99), quantile_us(s, 0.999),
           quantile_us(s, 1));
}

static int format_update(char *buf, size_t size, const struct options *o, long id) {
    return snprintf(buf, size,
                    "{\"type\":\"cost_update\",\"id\":\"%ld\",\"session_id\":\"%s\","
                    "\"delta_costs\":{\"indices\":[%ld],\"values\":[0.001]}}",
                    id, o->sessions[id % o->session_count], id % o->dimension);
}

int seconds_passed(uint64_t since, double seconds) { return ws_now_ns() - since > (uint64_t)(seconds * 1e9); }

/* ---- connect ---------------------------------------------------------------------------------------------- */

static struct samples connect_times;

static void connect_opened(struct ws_conn *c, void *ctx) {
    (void)ctx;
    sample_add(&connect_times, c->open_ns - c->started_ns);
}

static void ignore_message(struct ws_conn *c, const char *m, size_t n, void *ctx) { (void)c, (void)m, (void)n, (void)ctx; }

static void run_connect(const struct options *o) {
    struct ws_loop loop;
    ws_loop_init(&loop, ignore_message, connect_opened, NULL);
    struct ws_conn *conns = calloc((size_t)o->count, sizeof *conns);
    int started = 0, refused = 0;
    uint64_t t0 = ws_now_ns();
    while (loop.open_count + loop.closed_count < started || started < o->count) {
        if (seconds_passed(t0, 120)) break;
        while (started < o->count && started - loop.open_count - loop.closed_count < o->concurrency) {
            conns[started].index = started;
            if (ws_connect(&loop, &conns[started], o->port, o->path) < 0) { refused = 1; break; }
            started++;
        }
        if (refused && started == loop.open_count + loop.closed_count) break;
        ws_poll(&loop, 10);
    }
    double seconds = (ws_now_ns() - t0) / 1e9;
    printf("{\"mode\":\"connect\",\"attempted\":%d,\"started\":%d,\"open\":%d,\"failed\":%d,\"client_fd_limit_hit\":%s,"
           "\"seconds\":%.3f,", o->count, started, loop.open_count, loop.closed_count, refused ? "true" : "false", seconds);
    print_latency("connect", &connect_times);
    printf("}\n");
    fflush(stdout);
    if (o->hold_seconds <= 0) return;
    /* Hold: keep answering pings until stdin closes (the driver measured what it wanted) or the time is up. */
    uint64_t hold = ws_now_ns();
    struct pollfd in = {.fd = 0, .events = POLLIN};
    while (!seconds_passed(hold, o->hold_seconds)) {
        ws_poll(&loop, 100);
        if (poll(&in, 1, 0) > 0) {
            char scrap[64];
            if (read(0, scrap, sizeof scrap) <= 0) break;
        }
    }
    printf("{\"still_open\":%d}\n", loop.open_count);
}

/* ---- rtt ---------------------------------------------------------------------------------------------------- */

struct rtt_state {
    const struct options *o;
    struct samples acks;
    long sent;
    int errors;
    uint64_t sent_ns;
};

static void rtt_send(struct ws_loop *loop, struct ws_conn *c, struct rtt_state *st) {
    char msg[256];
    int n = format_update(msg, sizeof msg, st->o, ++st->sent);
    st->sent_ns = ws_now_ns();
    ws_send_text(loop, c, msg, (size_t)n);
}

struct ws_loop shared_loop;

struct ws_conn *connect_all(const struct options *o, int count, double wait_seconds) {
    struct ws_conn *conns = calloc((size_t)count, sizeof *conns);
    for (int i = 0; i < count; i++) {
        conns[i].index = i;
        ws_connect(&shared_loop, &conns[i], o->port, o->path);
    }
    uint64_t t0 = ws_now_ns();
    while (shared_loop.open_count + shared_loop.closed_count < count && !seconds_passed(t0, wait_seconds))
        ws_poll(&shared_loop, 5);
    return conns;
}

static void rtt_opened(struct ws_conn *c, void *ctx) { rtt_send(&shared_loop, c, ctx); }

static void rtt_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)n;
    struct rtt_state *st = ctx;
    int ack = json_type_is(m, "ack");
    if (!ack && !json_type_is(m, "error")) return;
    if (json_int(m, "ref") != st->sent) return;
    if (!ack) st->errors++;
    else if (st->sent > 20) sample_add(&st->acks, ws_now_ns() - st->sent_ns);
    if (st->sent < st->o->count + 20) rtt_send(&shared_loop, c, st);
}

static void run_rtt(const struct options *o) {
    struct rtt_state st = {.o = o};
    ws_loop_init(&shared_loop, rtt_message, rtt_opened, &st);
    struct ws_conn conn = {0};
    ws_connect(&shared_loop, &conn, o->port, o->path);
    uint64_t t0 = ws_now_ns();
    while (st.acks.count + st.errors < o->count && conn.state != WS_CLOSED && !seconds_passed(t0, 60))
        ws_poll(&shared_loop, 10);
    printf("{\"mode\":\"rtt\",\"errors\":%d,\"seconds\":%.3f,", st.errors, (ws_now_ns() - t0) / 1e9);
    print_latency("update_ack", &st.acks);
    printf("}\n");
}

/* ---- fanout ------------------------------------------------------------------------------------------------- */

struct fanout_state {
    const struct options *o;
    int subscribed;
    long long previous_seq;   /* last_applied_seq every subscriber had seen before this round */
    long long round_seq;      /* the seq acked for this round's update (0 until the ack) */
    uint64_t round_start, round_start_realtime;
    uint64_t *first_ns;       /* per subscriber: first frame past previous_seq this round (0: none yet) */
    uint64_t *arrived_ns;     /* the same frame's kernel receive time (CLOCK_REALTIME; 0: not reported) */
    int reached, converged;
    struct samples latency, arrival;
};

static void fanout_opened(struct ws_conn *c, void *ctx) {
    struct fanout_state *st = ctx;
    if (c->index == 0) return;  /* connection 0 sends the updates */
    char msg[256];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"subscribe\",\"id\":\"s%d\",\"session_id\":\"%s\"}", c->index, st->o->sessions[0]);
    ws_send_text(&shared_loop, c, msg, (size_t)n);
}

static void fanout_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)n;
    struct fanout_state *st = ctx;
    if (c->index == 0) {
        if (json_type_is(m, "ack")) st->round_seq = json_int(m, "seq");
        return;
    }
    if (json_type_is(m, "subscribed")) { st->subscribed++; return; }
    long long applied = json_int(m, "last_applied_seq");
    if (json_type_is(m, "iteration_update") && st->round_start && applied > st->previous_seq && !st->first_ns[c->index]) {
        st->first_ns[c->index] = ws_now_ns();
        st->arrived_ns[c->index] = c->rx_realtime_ns;
        st->reached++;
    }
    if (c->index == 1 && json_type_is(m, "convergence_signal") && st->round_seq && applied >= st->round_seq)
        st->converged = 1;
}

static void run_fanout(const struct options *o) {
    struct fanout_state st = {.o = o};
    int total = o->subscribers + 1;
    st.first_ns = calloc((size_t)total, sizeof *st.first_ns);
    st.arrived_ns = calloc((size_t)total, sizeof *st.arrived_ns);
    ws_loop_init(&shared_loop, fanout_message, fanout_opened, &st);
    shared_loop.kernel_timestamps = 1;
    FILE *trace = getenv("LOADGEN_TRACE") ? fopen(getenv("LOADGEN_TRACE"), "w") : NULL;
    struct ws_conn *conns = connect_all(o, total, 0);
    uint64_t t0 = ws_now_ns();
    while ((st.subscribed < o->subscribers || shared_loop.open_count < total) && !seconds_passed(t0, 20)) ws_poll(&shared_loop, 10);
    int rounds = 0, incomplete = 0;
    for (int r = 1; r <= o->rounds && st.subscribed == o->subscribers && !seconds_passed(t0, 120); r++) {
        /* Quiet period: lets the previous re-solve finish and the per-subscriber frame rate cap expire. */
        uint64_t quiet = ws_now_ns();
        while (!seconds_passed(quiet, 0.03)) ws_poll(&shared_loop, 5);
        memset(st.first_ns, 0, (size_t)total * sizeof *st.first_ns);
        st.reached = st.converged = 0;
        st.round_seq = 0;
        char msg[256];
        int len = format_update(msg, sizeof msg, o, r);
        st.round_start_realtime = ws_realtime_ns();
        st.round_start = ws_now_ns();
        ws_send_text(&shared_loop, &conns[0], msg, (size_t)len);
        while ((st.reached < o->subscribers || !st.converged) && !seconds_passed(st.round_start, 2)) ws_poll(&shared_loop, 5);
        for (int i = 1; i < total; i++) {
            if (!st.first_ns[i]) continue;
            sample_add(&st.latency, st.first_ns[i] - st.round_start);
            /* Arrival can only be compared when the kernel stamped it after the send (clocks agree on one host). */
            uint64_t arrived = st.arrived_ns[i] > st.round_start_realtime ? st.arrived_ns[i] : 0;
            if (arrived) sample_add(&st.arrival, arrived - st.round_start_realtime);
            if (trace)
                fprintf(trace, "%d %d %llu %llu %llu\n", r, i, (unsigned long long)st.round_start,
                        (unsigned long long)(st.first_ns[i] - st.round_start),
                        (unsigned long long)(arrived ? arrived - st.round_start_realtime : 0));
        }
        memset(st.arrived_ns, 0, (size_t)total * sizeof *st.arrived_ns);
        incomplete += st.reached < o->subscribers;
        if (st.round_seq) st.previous_seq = st.round_seq;
        rounds++;
    }
    printf("{\"mode\":\"fanout\",\"subscribers\":%d,\"subscribed\":%d,\"rounds\":%d,\"incomplete_rounds\":%d,",
           o->subscribers, st.subscribed, rounds, incomplete);
    print_latency("fanout", &st.latency);
    printf(",");
    print_latency("fanout_arrival", &st.arrival);
    printf("}\n");
    if (trace) fclose(trace);
}

/* ---- throughput --------------------------------------------------------------------------------------------- */

struct throughput_state {
    const struct options *o;
    long sent, replies;
    int measuring;
    long measured, errors;
};

static void throughput_send(struct ws_conn *c, struct throughput_state *st) {
    char msg[256];
    int n = strcmp(st->o->message, "cost_update") == 0
                ? format_update(msg, sizeof msg, st->o, ++st->sent)
                : snprintf(msg, sizeof msg, "{\"type\":\"ping\",\"id\":\"%ld\"}", ++st->sent);
    ws_send_text(&shared_loop, c, msg, (size_t)n);
}

static void throughput_opened(struct ws_conn *c, void *ctx) {
    for (int i = 0; i < ((struct throughput_state *)ctx)->o->window; i++) throughput_send(c, ctx);
}

static void throughput_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)n;
    struct throughput_state *st = ctx;
    st->replies++;
    st->measured += st->measuring;
    st->errors += st->measuring && json_type_is(m, "error");
    throughput_send(c, st);
}

static void run_throughput(const struct options *o) {
    struct throughput_state st = {.o = o};
    ws_loop_init(&shared_loop, throughput_message, throughput_opened, &st);
    connect_all(o, o->connections, 0);
    uint64_t t0 = ws_now_ns();
    while (!seconds_passed(t0, 0.5)) ws_poll(&shared_loop, 5);
    st.measuring = 1;
    uint64_t start = ws_now_ns();
    while (!seconds_passed(start, o->seconds) && shared_loop.open_count > 0) ws_poll(&shared_loop, 5);
    double seconds = (ws_now_ns() - start) / 1e9;
    printf("{\"mode\":\"throughput\",\"message\":\"%s\",\"connections\":%d,\"open_at_end\":%d,\"window\":%d,"
           "\"seconds\":%.3f,\"replies\":%ld,\"errors\":%ld,\"replies_per_second\":%.1f}\n",
           o->message, o->connections, shared_loop.open_count, o->window, seconds, st.measured, st.errors,
           st.measured / seconds);
}

/* ---- open loop (acks, ping) -------------------------------------------------------------------------------- */

static uint64_t due_time(const struct open_loop *ol, long k) {
    return ol->t0 + (uint64_t)((double)(k - 1) * 1e9 / ol->rate);
}

void open_loop_offer(struct open_loop *ol, int (*send)(long k, void *ctx), void *ctx) {
    ol->due = calloc((size_t)ol->total + 1, sizeof *ol->due);
    ol->latency_ns = calloc((size_t)ol->total + 1, sizeof *ol->latency_ns);
    ol->t0 = ws_now_ns();
    double limit = ol->total / ol->rate + 5;
    while (ol->offered < ol->total && shared_loop.open_count > 0 && !seconds_passed(ol->t0, limit)) {
        uint64_t now = ws_now_ns();
        while (ol->offered < ol->total && due_time(ol, ol->offered + 1) <= now) {
            long k = ++ol->offered;
            if (send(k, ctx) == 0) {
                ol->due[k] = due_time(ol, k);
                ol->sent++;
                ol->last_send_ns = ws_now_ns();
            }
        }
        if (ol->offered < ol->total) ws_poll_until(&shared_loop, due_time(ol, ol->offered + 1));
    }
}

void open_loop_run(struct open_loop *ol, int (*send)(long k, void *ctx), void *ctx, double drain_seconds) {
    open_loop_offer(ol, send, ctx);
    uint64_t end = ws_now_ns();
    while (ol->answered < ol->sent && shared_loop.open_count > 0 && !seconds_passed(end, drain_seconds))
        ws_poll(&shared_loop, 5);
}

int open_loop_answer(struct open_loop *ol, long long k, int timed) {
    if (k < 1 || k > ol->offered || !ol->due[k] || ol->latency_ns[k]) return 0;
    ol->last_answer_ns = ws_now_ns();
    ol->latency_ns[k] = ol->last_answer_ns - ol->due[k] + 1;  /* never 0 */
    if (timed) sample_add(&ol->latency, ol->latency_ns[k]);
    ol->answered++;
    return 1;
}

void count_error(struct error_counts *e, const char *msg) {
    char code[48] = "unknown";
    json_string(msg, "code", code, sizeof code);
    int i = 0;
    while (i < e->count && strcmp(e->kinds[i].code, code) != 0) i++;
    if (i == e->count && i < MAX_ERROR_CODES) memcpy(e->kinds[e->count++].code, code, sizeof code);
    if (i < MAX_ERROR_CODES) e->kinds[i].count++;
    e->total++;
}

void print_errors(const char *name, const struct error_counts *e) {
    printf("\"%s\":{", name);
    for (int i = 0; i < e->count; i++) printf("%s\"%s\":%ld", i ? "," : "", e->kinds[i].code, e->kinds[i].count);
    printf("}");
}

/* ---- acks --------------------------------------------------------------------------------------------------- */

struct acks_state {
    const struct options *o;
    struct ws_conn *conns;
    struct open_loop ol;
    long acked;
    struct error_counts errors;
};

static int acks_send(long k, void *ctx) {
    struct acks_state *st = ctx;
    char msg[256];
    int n = format_update(msg, sizeof msg, st->o, k);
    return ws_send_text(&shared_loop, &st->conns[(k - 1) % st->o->connections], msg, (size_t)n);
}

static void acks_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)c, (void)n;
    struct acks_state *st = ctx;
    int ack = json_type_is(m, "ack");
    if (!(ack || json_type_is(m, "error")) || !open_loop_answer(&st->ol, json_int(m, "ref"), ack)) return;
    if (ack) st->acked++;
    else count_error(&st->errors, m);
}

static void run_acks(const struct options *o) {
    struct acks_state st = {.o = o, .ol = {.rate = o->rate, .total = (long)(o->rate * o->seconds)}};
    ws_loop_init(&shared_loop, acks_message, NULL, &st);
    st.conns = connect_all(o, o->connections, 10);
    int opened = shared_loop.open_count;
    open_loop_run(&st.ol, acks_send, &st, 5);
    double span = st.ol.last_answer_ns > st.ol.t0 ? (st.ol.last_answer_ns - st.ol.t0) / 1e9 : 0;
    printf("{\"mode\":\"acks\",\"connections\":%d,\"opened\":%d,\"open_at_end\":%d,\"sessions\":%d,\"rate\":%.1f,"
           "\"seconds\":%.3f,\"offered\":%ld,\"sent\":%ld,\"acked\":%ld,\"unanswered\":%ld,",
           o->connections, opened, shared_loop.open_count, o->session_count, o->rate, o->seconds, st.ol.offered,
           st.ol.sent, st.acked, st.ol.sent - st.ol.answered);
    print_errors("errors", &st.errors);
    printf(",\"achieved_per_second\":%.1f,", span > 0 ? st.acked / span : 0);
    print_latency("ack_latency", &st.ol.latency);
    printf("}\n");
}

/* ---- ping --------------------------------------------------------------------------------------------------- */

static int ping_send(long k, void *ctx) {
    char msg[64];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"ping\",\"id\":\"%ld\"}", k);
    return ws_send_text(&shared_loop, ctx, msg, (size_t)n);
}

static void ping_message(struct ws_conn *c, const char *m, size_t n, void *ctx) {
    (void)c, (void)n;
    if (json_type_is(m, "pong")) open_loop_answer(ctx, json_int(m, "ref"), 1);
}

static void run_ping(const struct options *o) {
    struct open_loop ol = {.rate = 1000 / o->interval_ms, .total = (long)(o->seconds * 1000 / o->interval_ms)};
    ws_loop_init(&shared_loop, ping_message, NULL, &ol);
    struct ws_conn *conn = connect_all(o, 1, 10);
    open_loop_run(&ol, ping_send, conn, 1);
    FILE *dump = getenv("LOADGEN_SAMPLES") ? fopen(getenv("LOADGEN_SAMPLES"), "w") : NULL;
    uint64_t realtime_offset = ws_realtime_ns() - ws_now_ns();
    for (long k = 1; dump && k <= ol.offered; k++)
        if (ol.due[k])
            fprintf(dump, "%llu %lld\n", (unsigned long long)(ol.due[k] + realtime_offset),
                    ol.latency_ns[k] ? (long long)ol.latency_ns[k] : -1LL);
    if (dump) fclose(dump);
    printf("{\"mode\":\"ping\",\"interval_ms\":%.3f,\"seconds\":%.3f,\"sent\":%ld,\"received\":%ld,\"lost\":%ld,",
           o->interval_ms, o->seconds, ol.sent, ol.answered, ol.sent - ol.answered);
    print_latency("rtt", &ol.latency);
    printf("}\n");
}

/* ---- main --------------------------------------------------------------------------------------------------- */

/* Splits --session at commas into o->sessions (at least one entry, "" when none). */
static void split_sessions(struct options *o) {
    char *list = strdup(o->session);
    int cap = 1;
    for (const char *p = list; *p; p++) cap += *p == ',';
    o->sessions = calloc((size_t)cap, sizeof *o->sessions);
    for (char *id = strtok(list, ","); id; id = strtok(NULL, ",")) o->sessions[o->session_count++] = id;
    if (o->session_count == 0) o->sessions[o->session_count++] = "";
}

int main(int argc, char **argv) {
    struct options o = {.path = "/ws/solver", .message = "ping", .session = "", .count = 1000, .concurrency = 1,
                        .subscribers = 100, .rounds = 50, .connections = 4, .window = 32, .dimension = 100, .seconds = 3,
                        .rate = 1000, .interval_ms = 5, .seed = 1};
    if (argc < 2) {
        fprintf(stderr, "usage: loadgen connect|rtt|fanout|throughput|acks|ping|sessions --port P [...]\n");
        return 2;
    }
    o.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(k, "--echo")) { o.echo = 1; i--; }  /* the one flag without a value */
        else if (!strcmp(k, "--port")) o.port = atoi(v);
        else if (!strcmp(k, "--path")) o.path = v;
        else if (!strcmp(k, "--session")) o.session = v;
        else if (!strcmp(k, "--sessions-file")) o.sessions_file = v;
        else if (!strcmp(k, "--message")) o.message = v;
        else if (!strcmp(k, "--count")) o.count = atoi(v);
        else if (!strcmp(k, "--concurrency")) o.concurrency = atoi(v);
        else if (!strcmp(k, "--subscribers")) o.subscribers = atoi(v);
        else if (!strcmp(k, "--rounds")) o.rounds = atoi(v);
        else if (!strcmp(k, "--connections")) o.connections = atoi(v);
        else if (!strcmp(k, "--window")) o.window = atoi(v);
        else if (!strcmp(k, "--n")) o.dimension = atoi(v);
        else if (!strcmp(k, "--seconds")) o.seconds = atof(v);
        else if (!strcmp(k, "--hold-seconds")) o.hold_seconds = atof(v);
        else if (!strcmp(k, "--rate")) o.rate = atof(v);
        else if (!strcmp(k, "--interval-ms")) o.interval_ms = atof(v);
        else if (!strcmp(k, "--seed")) o.seed = strtoull(v, NULL, 10);
        else { fprintf(stderr, "loadgen: unknown option %s\n", k); return 2; }
    }
    if (o.port <= 0 || o.dimension <= 0 || o.connections <= 0 || o.rate <= 0 || o.interval_ms <= 0 || o.seconds > 600 ||
        o.rate * o.seconds > 2e7) {
        fprintf(stderr, "loadgen: --port, --n, --connections, --rate, --interval-ms must be positive; --seconds <= 600, "
                        "--rate x --seconds <= 2e7\n");
        return 2;
    }
    if (!o.sessions_file) split_sessions(&o);
    else if (read_sessions_file(&o) < 0) return 2;
    if (!strcmp(o.mode, "connect")) run_connect(&o);
    else if (!strcmp(o.mode, "rtt")) run_rtt(&o);
    else if (!strcmp(o.mode, "fanout")) run_fanout(&o);
    else if (!strcmp(o.mode, "throughput")) run_throughput(&o);
    else if (!strcmp(o.mode, "acks")) run_acks(&o);
    else if (!strcmp(o.mode, "ping")) run_ping(&o);
    else if (!strcmp(o.mode, "sessions")) run_sessions(&o);
    else { fprintf(stderr, "loadgen: unknown mode %s\n", o.mode); return 2; }
    return 0;
}
