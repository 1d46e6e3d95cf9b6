/*
 * loadgen.h: what the modes in separate files (sessions_mode.c) share with loadgen.c: the options, latency
 * samples, the one event loop and the open-loop schedule. See the usage comment at the top of loadgen.c.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include "ws_client.h"

struct options {
    const char *mode, *session, *message, *path, *sessions_file;
    const char **sessions;  /* --session split at commas, or the lines of --sessions-file */
    int session_count;
    int port, count, concurrency, subscribers, rounds, connections, window, dimension, echo;
    unsigned long long seed;
    double seconds, hold_seconds, rate, interval_ms;
};

/* Latency samples in nanoseconds. */
struct samples {
    uint64_t *ns;
    int count, cap;
};

void sample_add(struct samples *s, uint64_t ns);
/* Prints "name":{"count","p50_us","p90_us","p99_us","p999_us","max_us"} (sorting the samples). */
void print_latency(const char *name, struct samples *s);
int seconds_passed(uint64_t since, double seconds);

/* The one event loop of the rtt, fanout, throughput, acks, ping and sessions modes (their callbacks send on it). */
extern struct ws_loop shared_loop;
/* Starts `count` connections on shared_loop (index = position); with wait_seconds, waits until all are open or
 * closed, or that time has passed. */
struct ws_conn *connect_all(const struct options *o, int count, double wait_seconds);

/* Message k (1-based) is due at t0 + (k - 1) / rate and is sent when due (late ones at once, so a stall never
 * thins the offer); answers are handled in between and timed from the due time. */
struct open_loop {
    double rate;           /* messages per second */
    long total;            /* messages to offer */
    uint64_t t0, last_answer_ns, last_send_ns;
    uint64_t *due;         /* per message: its due time (0: never sent) */
    uint64_t *latency_ns;  /* per message: due → answer (0: no answer yet) */
    long offered, sent, answered;
    struct samples latency;  /* the answers timed (see open_loop_answer) */
};

/* Offers every message (send returns 0 when it queued message k), stopping early only when every connection has
 * closed or the offer runs 5 s late. */
void open_loop_offer(struct open_loop *ol, int (*send)(long k, void *ctx), void *ctx);
/* open_loop_offer, then waits at most drain_seconds for the answers still outstanding. */
void open_loop_run(struct open_loop *ol, int (*send)(long k, void *ctx), void *ctx, double drain_seconds);
/* Records the answer to message k; 1 when k was sent and not answered before. `timed`: add it to the samples. */
int open_loop_answer(struct open_loop *ol, long long k, int timed);

/* Error frames counted by their code (the first MAX_ERROR_CODES codes apart). */
#define MAX_ERROR_CODES 8
struct error_counts {
    struct { char code[48]; long count; } kinds[MAX_ERROR_CODES];
    int count;
    long total;
};
void count_error(struct error_counts *e, const char *msg);
/* Prints "name":{"code":count,...}. */
void print_errors(const char *name, const struct error_counts *e);

/* sessions_mode.c: fills o->sessions from the lines of o->sessions_file (blank lines skipped); -1 on failure. */
int read_sessions_file(struct options *o);
void run_sessions(const struct options *o);

#endif
