"""make bench-slow: 1,000 WebSocket subscribers that read slowly or stop reading (issue 8, item 3).

Against `solverd serve` (release; $SOLVERD_BIN) on 127.0.0.1, one live session (5-point Laplacian, n = 1,024), two
phases with the same shape (the slow one first, on the fresh server, so its RSS growth is its own), so the only
difference is how the 1,000 extra subscribers read:
1. baseline: 1,000 raw-socket subscribers that read everything; a paced updater (UPDATES_PER_SECOND) for 5 s; then
   bench/loadgen `fanout` (FAST more subscribers, one cost_update per round, p99 update → first frame);
2. 1,000 raw-socket subscribers with a 4 KiB receive buffer: half never read after the 101 (stalled: not read at
   all, so no pong either), half read SLOW_BYTES_PER_SECOND each; 5 s of updates; the same fan-out; then
   STALL_SECONDS more of updates. The session's subscriber count is polled; at the end the stalled sockets are read
   once, to see whether the server's close frame got through (a client that never reads cannot receive one).
Targets: RSS growth over the run < 100 MB; fast p99 within 2× of the baseline; slow ones coalesced or dropped
(1008 for those that read). RSS from /proc every 0.25 s. Results: bench/results/slow-latest.json.
"""
import json
import os
import selectors
import sys
import threading
import time
import urllib.request
from datetime import datetime

from bench_report import finish, row, stop
from bench_server import LOADGEN, SOLVERD, create_session, loadgen, raise_fd_limit, rss, start
from ws_raw import RawSubscriber

SUBSCRIBERS = int(os.environ.get("SLOW_SUBSCRIBERS", "1000"))
FAST = int(os.environ.get("FAST_SUBSCRIBERS", "50"))
ROUNDS = int(os.environ.get("FANOUT_ROUNDS", "100"))
STALL_SECONDS = float(os.environ.get("STALL_SECONDS", "30"))
UPDATES_PER_SECOND = float(os.environ.get("UPDATES_PER_SECOND", "50"))
SLOW_BYTES_PER_SECOND = int(os.environ.get("SLOW_BYTES_PER_SECOND", "2048"))
SIDE = 32


def session_subscribers(port, session):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/sessions/{session}", timeout=10) as response:
        return json.loads(response.read()).get("subscribers")


class Sampler(threading.Thread):
    """Samples the server's RSS (and the session's subscriber count, once a second) until stopped."""

    def __init__(self, pid, port, session):
        super().__init__(daemon=True)
        self.pid, self.port, self.session = pid, port, session
        self.peak, self.samples, self.subscribers, self.stopped = 0, [], [], threading.Event()

    def run(self):
        t0 = time.time()
        while not self.stopped.wait(0.25):
            value = rss(self.pid)
            self.peak = max(self.peak, value)
            self.samples.append((round(time.time() - t0, 2), value))
            if len(self.samples) % 4 == 0:
                self.subscribers.append((round(time.time() - t0, 1), session_subscribers(self.port, self.session)))


class Updater(threading.Thread):
    """Sends paced cost_updates on its own connection while `running` is set; reads (and drops) the acks."""

    def __init__(self, port, session):
        super().__init__(daemon=True)
        self.conn, self.session, self.sent = RawSubscriber(port, rcvbuf=1 << 20), session, 0
        self.running, self.stopped = threading.Event(), threading.Event()

    def run(self):
        while not self.stopped.is_set():
            if not self.running.wait(0.1):
                self.conn.drain()
                continue
            self.sent += 1
            self.conn.send_text('{"type":"cost_update","session_id":"%s","delta_costs":{"indices":[%d],"values":[0.001]}}'
                                % (self.session, self.sent % (SIDE * SIDE)))
            self.conn.drain()
            time.sleep(1 / UPDATES_PER_SECOND)


def fanout(port, session):
    return loadgen("fanout", "--port", port, "--session", session, "--n", SIDE * SIDE, "--subscribers", FAST,
                   "--rounds", ROUNDS)


def readers_loop(readers, stop, budget=None):
    """Reads the given subscribers: everything there is (budget None) or `budget` bytes a second each."""
    selector = selectors.DefaultSelector()
    for r in readers:
        selector.register(r.sock, selectors.EVENT_READ, r)
    while not stop.is_set():
        if budget is None:
            for key, _ in selector.select(timeout=0.05):
                key.data.drain()
        else:
            stop.wait(0.25)
            for r in readers:
                if r.close_code is None and not r.eof:
                    r.drain(budget // 4)
    selector.close()


def subscribe_all(port, session, count):
    subs = []
    for i in range(count):
        s = RawSubscriber(port)
        s.send_text('{"type":"subscribe","id":"%d","session_id":"%s"}' % (i, session))
        subs.append(s)
    return subs


def phase(port, session, readers, budget):
    """Readers read (all, or `budget` B/s); updates for 5 s; then the fan-out measurement with updates paused."""
    stop = threading.Event()
    thread = threading.Thread(target=readers_loop, args=(readers, stop, budget), daemon=True)
    thread.start()
    updater = Updater(port, session)
    updater.start()
    updater.running.set()
    time.sleep(5)
    updater.running.clear()
    time.sleep(0.2)
    result = fanout(port, session)
    return result, updater, stop, thread


def measure(solverd, port):
    session = create_session(port, SIDE)
    time.sleep(0.5)
    r = {"subscribers": SUBSCRIBERS, "fast_subscribers": FAST, "rounds": ROUNDS, "stall_seconds": STALL_SECONDS,
         "updates_per_second": UPDATES_PER_SECOND, "slow_bytes_per_second": SLOW_BYTES_PER_SECOND}
    r["rss_before"] = rss(solverd.pid)
    print(f"{SUBSCRIBERS} slow (half stalled), fan-out to {FAST} fast ones", file=sys.stderr)
    sampler = Sampler(solverd.pid, port, session)
    sampler.start()
    subs = subscribe_all(port, session, SUBSCRIBERS)
    stalled, slow = subs[0::2], subs[1::2]
    r["with_slow"], updater, stop, thread = phase(port, session, slow, SLOW_BYTES_PER_SECOND)
    updater.running.set()
    time.sleep(STALL_SECONDS)
    updater.running.clear()
    updater.stopped.set()
    stop.set()
    thread.join()
    sampler.stopped.set()
    sampler.join()
    r["rss_peak"], r["rss_samples"], r["updates_sent"] = sampler.peak, sampler.samples[::4], updater.sent
    r["rss_growth"] = sampler.peak - r["rss_before"]
    r["subscriber_counts"] = sampler.subscribers
    r["subscribers_left"] = session_subscribers(port, session)
    deadline = time.time() + 5  # only now are the stalled sockets read: to find the server's close frame, if any
    while time.time() < deadline and any(s.close_code is None and not s.eof for s in subs):
        for s in subs:
            s.drain()
        time.sleep(0.05)
    codes = lambda group: {str(c): sum(1 for s in group if s.close_code == c) for c in {s.close_code for s in group}}  # noqa: E731
    r["stalled_close_codes"], r["slow_close_codes"] = codes(stalled), codes(slow)
    # A slow reader's 1008 waits behind what the kernel already holds for it; the keep-alive may hang it up first.
    r["slow_closed"] = sum(1 for s in slow if s.close_code == 1008 or s.eof)
    r["close_reasons"] = sorted({s.close_reason for s in subs if s.close_reason})
    r["slow_bytes_received"] = sum(s.received_bytes for s in slow)
    for s in subs:
        s.close()
    r["rss_after_close"] = rss(solverd.pid)
    time.sleep(2)
    print(f"baseline: {SUBSCRIBERS} subscribers that read everything, fan-out to {FAST} more", file=sys.stderr)
    readers = subscribe_all(port, session, SUBSCRIBERS)
    r["baseline"], updater, stop, thread = phase(port, session, readers, None)
    r["rss_baseline"] = rss(solverd.pid)
    updater.stopped.set()
    stop.set()
    thread.join()
    for s in readers:
        s.close()
    r["solverd_alive"] = solverd.poll() is None
    return r


def rows_for(r):
    base, loaded = r["baseline"]["fanout"]["p99_us"], r["with_slow"]["fanout"]["p99_us"]
    ratio = loaded / base if base else None
    half = r["subscribers"] // 2
    slow_1008 = r["slow_close_codes"].get("1008", 0)
    return [
        row("server RSS growth (peak with slow ones − before the run)", r["rss_growth"] / 1e6, "MB", "< 100",
            r["rss_growth"] < 100e6),
        row(f"fast p99 update → frame, baseline ({r['subscribers']} readers)", base / 1e3, "ms"),
        row(f"fast p99 update → frame, with {r['subscribers']} slow/stalled", loaded / 1e3, "ms"),
        row("p99 ratio (with slow / baseline)", ratio, "×", "<= 2", ratio is not None and ratio <= 2),
        row("fast rounds incomplete (with slow ones)", r["with_slow"]["incomplete_rounds"], "", "0",
            r["with_slow"]["incomplete_rounds"] == 0),
        row("subscribers left on the session at the end", r["subscribers_left"], f"of {r['subscribers']}",
            f"<= {half} (stalled dropped)", r["subscribers_left"] is not None and r["subscribers_left"] <= half),
        row("slow readers disconnected (1008 or hang-up)", r["slow_closed"], f"of {half}"),
        row("  of which saw the 1008 frame", slow_1008, f"of {half}"),
        row("stalled sockets holding the 1008 when finally read", r["stalled_close_codes"].get("1008", 0), f"of {half}"),
        row("solverd still running", r["solverd_alive"], "", "yes", r["solverd_alive"]),
    ]


def main():
    for binary in (SOLVERD, LOADGEN):
        if not os.access(binary, os.X_OK):
            sys.exit(f"missing {binary}: run `make bench-slow` (it builds everything)")
    raise_fd_limit()
    started = datetime.now()
    solverd, port = start([SOLVERD, "serve", "--port", "0"])
    try:
        result = measure(solverd, port)
    finally:
        stop(solverd)
    sys.exit(0 if finish("slow", started, rows_for(result), solverd=SOLVERD, results=result) else 1)


if __name__ == "__main__":
    main()
