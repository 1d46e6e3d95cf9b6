"""make soak: SOAK_SECONDS (default 600) at 1,000 live sessions with steady updates and connection churn.

Against `solverd serve` (release; $SOLVERD_BIN) on 127.0.0.1: SOAK_SESSIONS sessions (5-point Laplacian, n = 100) are
created over HTTP; then, from one asyncio process,
- UPDATERS connections send paced cost_updates round-robin over all sessions (UPDATE_RATE per second in total) and
  read their acks;
- CHURN subscriber connections live 0.5-4 s each, subscribe to a random session, read its frames and close (one in
  five drops the TCP connection without a close frame); each is replaced at once.
Every 2 s the server's RSS and open descriptors are read from /proc. Targets: RSS drift < 5 % after warm-up (the
first WARMUP_FRACTION of the run, default 3/4: at this update rate each session's resumption buffer, EventHub
retention of 32 KB estimated, is full only after about 7.5 minutes — measured: RSS rises until 460 s, then stays
within 0.2 %), zero leaked descriptors (after every client closed, back
to the count before the first WebSocket), no error/critical line in the server log. Results:
bench/results/soak-latest.json.
"""
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import websockets

from bench_report import finish, row, stop
from bench_server import SOLVERD, create_session, raise_fd_limit, rss

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
SESSIONS = int(os.environ.get("SOAK_SESSIONS", "1000"))
UPDATERS = int(os.environ.get("SOAK_UPDATERS", "20"))
UPDATE_RATE = float(os.environ.get("SOAK_UPDATE_RATE", "200"))
CHURN = int(os.environ.get("SOAK_CHURN", "100"))
WARMUP_FRACTION = float(os.environ.get("WARMUP_FRACTION", "0.75"))
SIDE = 10


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Soak:
    def __init__(self, pid, port, sessions):
        self.pid, self.port, self.sessions = pid, port, sessions
        self.url = f"ws://127.0.0.1:{port}/ws/solver"
        self.stats = {"updates_sent": 0, "acks": 0, "errors": 0, "connections_opened": 0, "aborted": 0,
                      "frames_received": 0, "client_failures": 0}
        self.samples = []
        self.deadline = 0.0

    async def updater(self, index):
        pause = UPDATERS / UPDATE_RATE
        async with websockets.connect(self.url, max_size=None, ping_interval=None) as ws:
            async def reader():
                async for text in ws:  # replies start with their type: {"type":"ack",…
                    self.stats["acks"] += text.startswith('{"type":"ack"')
                    self.stats["errors"] += text.startswith('{"type":"error"')
            task = asyncio.create_task(reader())
            k = index
            while time.time() < self.deadline:
                session = self.sessions[k % len(self.sessions)]
                k += UPDATERS
                await ws.send('{"type":"cost_update","id":"%d","session_id":"%s","delta_costs":{"indices":[%d],"values":[0.001]}}'
                              % (k, session, k % (SIDE * SIDE)))
                self.stats["updates_sent"] += 1
                await asyncio.sleep(pause)
            await asyncio.sleep(1)
            task.cancel()

    async def churner(self):
        while time.time() < self.deadline:
            try:
                ws = await websockets.connect(self.url, max_size=None, ping_interval=None, open_timeout=10)
                self.stats["connections_opened"] += 1
                await ws.send('{"type":"subscribe","session_id":"%s"}' % random.choice(self.sessions))
                until = time.time() + random.uniform(0.5, 4.0)
                while time.time() < min(until, self.deadline):
                    try:
                        await asyncio.wait_for(ws.recv(), timeout=max(0.01, until - time.time()))
                        self.stats["frames_received"] += 1
                    except asyncio.TimeoutError:
                        break
                if random.random() < 0.2:
                    ws.transport.abort()
                    self.stats["aborted"] += 1
                else:
                    await ws.close()
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
                self.stats["client_failures"] += 1
                await asyncio.sleep(0.1)

    async def sampler(self, t0):
        while time.time() < self.deadline:
            self.samples.append({"t": round(time.time() - t0, 1), "rss": rss(self.pid), "fds": fd_count(self.pid)})
            await asyncio.sleep(2)

    async def run(self):
        t0 = time.time()
        self.deadline = t0 + SECONDS
        await asyncio.gather(self.sampler(t0), *(self.updater(i) for i in range(UPDATERS)),
                             *(self.churner() for _ in range(CHURN)))


def drift(samples):
    """RSS drift after warm-up: mean of the last 10 % of samples against the mean of the first 10 % after warm-up."""
    steady = samples[int(len(samples) * WARMUP_FRACTION):]
    tenth = max(1, len(steady) // 10)
    first = sum(s["rss"] for s in steady[:tenth]) / tenth
    last = sum(s["rss"] for s in steady[-tenth:]) / tenth
    return first, last, (last - first) / first


def main():
    raise_fd_limit()
    started = datetime.now()
    log = tempfile.NamedTemporaryFile("w+", prefix="solverd-soak-", suffix=".log", delete=False)
    proc = subprocess.Popen([SOLVERD, "serve", "--port", "0", "--max-sessions", str(SESSIONS + 100)],
                            stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=raise_fd_limit)
    try:
        port = int(re.search(r"listening on \S*?:(\d+)", proc.stdout.readline()).group(1))
        sessions = [create_session(port, SIDE) for _ in range(SESSIONS)]
        time.sleep(1)
        fds_before, rss_before = fd_count(proc.pid), rss(proc.pid)
        print(f"{SESSIONS} sessions; soaking {SECONDS:.0f} s", file=sys.stderr)
        soak = Soak(proc.pid, port, sessions)
        asyncio.run(soak.run())
        time.sleep(3)  # closes and aborted sockets reach the server
        fds_after, rss_after = fd_count(proc.pid), rss(proc.pid)
        alive = proc.poll() is None
    finally:
        stop(proc)
    log.seek(0)
    errors = [line for line in log.read().splitlines() if re.search(r"\b(error|critical|fatal)\b", line, re.I)]
    first, last, rss_drift = drift(soak.samples)
    result = {"seconds": SECONDS, "sessions": SESSIONS, "updaters": UPDATERS, "update_rate": UPDATE_RATE,
              "churn_connections": CHURN, **soak.stats, "fds_before": fds_before, "fds_after": fds_after,
              "fds_peak": max(s["fds"] for s in soak.samples), "rss_before": rss_before, "rss_after": rss_after,
              "rss_steady_first": first, "rss_steady_last": last, "rss_drift": rss_drift,
              "rss_peak": max(s["rss"] for s in soak.samples), "log_error_lines": errors[:20],
              "log_path": log.name, "solverd_alive": alive, "samples": soak.samples}
    rows = [
        row("updates sent / acked", soak.stats["updates_sent"], f"acks {soak.stats['acks']}"),
        row("update rate achieved", soak.stats["updates_sent"] / SECONDS, "/s", f"{UPDATE_RATE:g}"),
        row("subscriber connections opened (churn)", soak.stats["connections_opened"], ""),
        row("RSS drift after warm-up", rss_drift * 100, "%", "< 5", abs(rss_drift) < 0.05),
        row("RSS peak", result["rss_peak"] / 1e6, "MB"),
        row("leaked descriptors", fds_after - fds_before, "", "0", fds_after <= fds_before),
        row("error lines in the server log", len(errors), "", "0", not errors),
        row("error replies", soak.stats["errors"], "", "0", soak.stats["errors"] == 0),
        row("solverd still running", alive, "", "yes", alive),
    ]
    sys.exit(0 if finish("soak", started, rows, solverd=SOLVERD, results=result) else 1)


if __name__ == "__main__":
    main()
