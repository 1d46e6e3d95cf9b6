#!/usr/bin/env python3
"""make bench-server: solverd's one-port server under compiled load, with a bare libwebsockets echo as reference.

Starts `solverd serve` ($SOLVERD_BIN, default .build/release/solverd) and bench/lws-echo ($LWS_ECHO) on 127.0.0.1,
drives both with bench/loadgen ($LOADGEN; C, epoll, raw WebSocket), and checks issue 4's targets and issue 16's
(1,000 sessions of n = 2,500 over 8 connections at 10,000 updates/s: update → first reflecting frame, nothing
dropped; the same offer against the echo gives the transport + client floor). Python only orchestrates: it creates
sessions over HTTP and reads /proc/PID/status and /stat. Results: bench/results/server-latest.json.
Everything started here is stopped in `finally`; every loadgen run is bounded (its own limits plus a timeout).
"""
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

from bench_report import ROOT, finish, row, stop

sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from conftest import laplacian_csr  # noqa: E402  (the e2e tests' matrix builder, reused)

SOLVERD = os.environ.get("SOLVERD_BIN", str(ROOT / ".build" / "release" / "solverd"))
LOADGEN = os.environ.get("LOADGEN", str(ROOT / ".build" / "bench" / "loadgen"))
LWS_ECHO = os.environ.get("LWS_ECHO", str(ROOT / ".build" / "bench" / "lws-echo"))
IDLE_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "10000"))
LIVE_SESSIONS = 1000
# Many sessions under load: LIVE_SESSIONS sessions of n = SESSION_SIDE² (5-point Laplacian, default method) served
# over SESSION_CONNECTIONS connections (a handful of multi-session clients, e.g. one per worker process of a
# dispatcher), offered SESSION_RATE cost_updates/s open loop for SESSION_SECONDS; bare lws echo as the floor.
SESSION_SIDE = 50
SESSION_CONNECTIONS = 8
SESSION_RATE = 10_000
SESSION_SECONDS = 5
# What `server.service_threads: 0` (the default) gives on this machine.
SERVICE_THREADS = min(2, os.cpu_count() or 1)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv):
    """Starts a server that prints `listening on …:PORT` first; returns (process, port)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=raise_fd_limit)
    line = proc.stdout.readline()
    match = re.search(r"listening on \S*?:(\d+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"{argv[0]} did not start: {line!r}")
    return proc, int(match.group(1))


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(pid, run):
    """Runs `run()` and adds the CPU seconds `pid` spent meanwhile to its report as `server_cpu_seconds` (and the
    run's wall time as `wall_seconds`)."""
    before, started = cpu_seconds(pid), time.monotonic()
    result = run()
    result["server_cpu_seconds"] = cpu_seconds(pid) - before
    result["wall_seconds"] = time.monotonic() - started
    return result


def loadgen(*args, timeout=180):
    out = subprocess.run([LOADGEN, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                         preexec_fn=raise_fd_limit)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen {args[0]} failed: {out.stderr}")
    return json.loads(out.stdout.splitlines()[0])


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def create_session(port, side):
    return post(port, "/api/v1/sessions", {"matrix": laplacian_csr(side), "vector": [1.0] * side * side})["session_id"]


def idle_connections(pid, port, path):
    """Opens IDLE_CONNECTIONS connections, holds them, and returns the connect report plus RSS per connection."""
    before = rss(pid)
    holder = subprocess.Popen([LOADGEN, "connect", "--port", str(port), "--path", path, "--count",
                               str(IDLE_CONNECTIONS), "--concurrency", "100", "--hold-seconds", "60"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=raise_fd_limit)
    try:
        report = json.loads(holder.stdout.readline())
        time.sleep(1.0)
        report["rss_before"], report["rss_held"] = before, rss(pid)
        report["bytes_per_connection"] = (report["rss_held"] - before) / max(1, report["open"])
        holder.stdin.close()
        report.update(json.loads(holder.stdout.readline() or "{}"))
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    return report


def throughput(port, path, message, session="", n=1024, connections=8, window=32, seconds=3):
    return loadgen("throughput", "--port", port, "--path", path, "--message", message, "--session", session or "-",
                   "--n", n, "--connections", connections, "--window", window, "--seconds", seconds)


def under_load():
    return f"{LIVE_SESSIONS:,} sessions, {SESSION_CONNECTIONS} conns, {SESSION_RATE:,}/s"


def server_stages(port):
    """The server's `solverd_update_stage_seconds` summary from /metrics, as {stage: {count, p50_us, …, max_us}}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    names = {"0.5": "p50_us", "0.9": "p90_us", "0.99": "p99_us", "0.999": "p999_us"}
    stages = {}
    for line in text.splitlines():
        match = re.match(r'solverd_update_stage_(seconds|seconds_count|max_seconds)\{stage="(\w+)"(?:,quantile="([\d.]+)")?\} (\S+)', line)
        if not match:
            continue
        kind, stage, quantile, value = match.groups()
        entry = stages.setdefault(stage, {})
        if kind == "seconds_count":
            entry["count"] = float(value)
        elif kind == "max_seconds":
            entry["max_us"] = float(value) * 1e6
        elif quantile in names:
            entry[names[quantile]] = float(value) * 1e6
    return stages


def many_sessions(solverd, port, echo, echo_port):
    """LIVE_SESSIONS live sessions, then `loadgen sessions` over them at SESSION_RATE, and its --echo reference."""
    print(f"{LIVE_SESSIONS} live sessions (n = {SESSION_SIDE ** 2})", file=sys.stderr)
    before, started = rss(solverd.pid), time.monotonic()
    ids = [create_session(port, SESSION_SIDE) for _ in range(LIVE_SESSIONS)]
    created_seconds = time.monotonic() - started
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/sessions", timeout=30) as response:
        listed = json.loads(response.read())
    live = len(listed.get("sessions", listed) if isinstance(listed, dict) else listed)
    r = {"sessions": {"created": len(ids), "live": live, "rss_delta": rss(solverd.pid) - before,
                      "create_seconds": created_seconds}}
    print(f"{SESSION_RATE:,} updates/s over {LIVE_SESSIONS} sessions, {SESSION_CONNECTIONS} connections "
          "(then the same against the bare echo)", file=sys.stderr)
    with tempfile.NamedTemporaryFile("w", prefix="bench-sessions-", suffix=".txt") as ids_file:
        ids_file.write("\n".join(ids) + "\n")
        ids_file.flush()
        common = ["--sessions-file", ids_file.name, "--connections", SESSION_CONNECTIONS, "--rate", SESSION_RATE,
                  "--seconds", SESSION_SECONDS, "--n", SESSION_SIDE ** 2]
        stages_before = server_stages(port)
        r["sessions_load"] = with_cpu(solverd.pid, lambda: loadgen("sessions", "--port", port, *common, timeout=120))
        r["stage_tables"] = [{"title": f"Inside the server during that load ({under_load()}): where updates waited "
                                       "(GET /metrics, HDR histograms since the server started: the sessions' "
                                       "creation and first solves, then the load)",
                              "stages": server_stages(port), "before": stages_before}]
        r["sessions_load_echo"] = with_cpu(echo.pid, lambda: loadgen("sessions", "--port", echo_port, "--path", "/",
                                                                     "--echo", *common, timeout=120))
    return r


def measure(solverd, port, echo, echo_port):
    r = {"solverd_rss_start": rss(solverd.pid)}
    # First, on the fresh server, so its stage histograms hold only these sessions' creation and load; the phases
    # after it run beside the 1,000 (converged, idle) sessions, as on a server in use.
    r.update(many_sessions(solverd, port, echo, echo_port))
    side = 32
    session = create_session(port, side)
    time.sleep(0.5)
    print("connect latency", file=sys.stderr)
    r["connect"] = loadgen("connect", "--port", port, "--count", 1000, "--concurrency", 1)
    r["connect_echo"] = loadgen("connect", "--port", echo_port, "--path", "/", "--count", 1000, "--concurrency", 1)
    print("cost_update → ack", file=sys.stderr)
    r["rtt"] = with_cpu(solverd.pid, lambda: loadgen("rtt", "--port", port, "--session", session,
                                                        "--n", side * side, "--count", 2000))
    print("fan-out to 100 subscribers", file=sys.stderr)
    r["fanout"] = with_cpu(solverd.pid, lambda: loadgen("fanout", "--port", port, "--session", session,
                                                           "--n", side * side, "--subscribers", 100, "--rounds", 50))
    # The same fan-out through the bare lws broadcast idiom (lws-echo: nothing solved or encoded; one service thread
    # writing each subscriber from its own POLLOUT callback): what this machine gives a plain lws server.
    r["fanout_echo"] = with_cpu(echo.pid, lambda: loadgen("fanout", "--port", echo_port, "--path", "/", "--session",
                                                          "bare", "--n", side * side, "--subscribers", 100,
                                                          "--rounds", 50))
    print("throughput: ping→pong vs the bare echo, interleaved", file=sys.stderr)
    r["throughput_solverd"], r["throughput_echo"] = [], []
    for _ in range(2):
        r["throughput_solverd"].append(with_cpu(solverd.pid, lambda: throughput(port, "/ws/solver", "ping")))
        r["throughput_echo"].append(with_cpu(echo.pid, lambda: throughput(echo_port, "/", "ping")))
    r["throughput_cost_update"] = throughput(port, "/ws/solver", "cost_update", session, side * side)
    print(f"{IDLE_CONNECTIONS} idle connections (solverd, then echo)", file=sys.stderr)
    r["idle"] = idle_connections(solverd.pid, port, "/ws/solver")
    r["idle_echo"] = idle_connections(echo.pid, echo_port, "/")
    r["solverd_alive"] = solverd.poll() is None
    return r


def rows_for(r):
    best = lambda runs: max(x["replies_per_second"] for x in runs)  # noqa: E731
    cpu_per = lambda runs: min(1e6 * x["server_cpu_seconds"] / (x["replies_per_second"] * (x["seconds"] + 0.5))  # noqa: E731
                               for x in runs)
    ours, echo = best(r["throughput_solverd"]), best(r["throughput_echo"])
    c, rtt, fan, idle = r["connect"]["connect"], r["rtt"]["update_ack"], r["fanout"]["fanout"], r["idle"]
    fan_echo = r["fanout_echo"]
    per_conn = idle["bytes_per_connection"]
    load, load_echo = r["sessions_load"], r["sessions_load_echo"]
    frame, frame_echo = load["update_frame"], load_echo["update_frame"]
    dropped = load["unmatched"] + load["unanswered"]
    under = under_load()
    return [
        row("connect p50 (TCP + WS handshake)", c["p50_us"], "µs"),
        row("connect p99", c["p99_us"], "µs", "< 5,000", c["p99_us"] < 5000),
        row("connect p99, bare lws echo", r["connect_echo"]["connect"]["p99_us"], "µs"),
        row("cost_update → ack p50", rtt["p50_us"], "µs"),
        row("cost_update → ack p99", rtt["p99_us"], "µs", "< 1,000", rtt["p99_us"] < 1000),
        row("server CPU per cost_update (ack + re-solve)", 1e6 * r["rtt"]["server_cpu_seconds"] / rtt["count"], "µs"),
        row("fan-out to 100 subscribers p50", fan["p50_us"], "µs"),
        row("fan-out to 100 subscribers p99", fan["p99_us"], "µs", "< 1,000", fan["p99_us"] < 1000),
        row("fan-out p50, kernel arrival (without the loadgen's own turn-taking)",
            r["fanout"]["fanout_arrival"]["p50_us"], "µs"),
        row("fan-out p99, kernel arrival", r["fanout"]["fanout_arrival"]["p99_us"], "µs"),
        row("server CPU per fan-out round (update, 100 frames + signals)",
            1e3 * r["fanout"]["server_cpu_seconds"] / max(1, r["fanout"]["rounds"]), "ms"),
        row("bare lws broadcast to 100 subscribers p50 (same loadgen)", fan_echo["fanout"]["p50_us"], "µs"),
        row("bare lws broadcast p99", fan_echo["fanout"]["p99_us"], "µs"),
        row("bare lws broadcast p99, kernel arrival", fan_echo["fanout_arrival"]["p99_us"], "µs"),
        row("fan-out p99 solverd / bare lws broadcast", 100 * fan["p99_us"] / fan_echo["fanout"]["p99_us"], "%"),
        row("solverd service threads (server.service_threads: 0 = one per core, at most 2)", SERVICE_THREADS, ""),
        row("ping→pong frames/s (8 conns × 32 in flight, best of 2)", ours, "/s"),
        row("bare lws echo frames/s (same load, best of 2)", echo, "/s"),
        row("throughput solverd / echo", 100 * ours / echo, "%", ">= 70", ours >= 0.7 * echo),
        row("server CPU per ping→pong, solverd (incl. warm-up, best)", cpu_per(r["throughput_solverd"]), "µs"),
        row("server CPU per echo, bare lws (incl. warm-up, best)", cpu_per(r["throughput_echo"]), "µs"),
        row("cost_update→ack frames/s (same load)", r["throughput_cost_update"]["replies_per_second"], "/s"),
        row("concurrent WebSocket connections held", idle["open"], "", f">= 10,000 (tried {IDLE_CONNECTIONS})",
            idle["open"] >= 10_000 and idle.get("still_open", 0) >= 10_000),
        row(f"live sessions (n = {SESSION_SIDE ** 2} each)", r["sessions"]["live"], "", ">= 1,000",
            r["sessions"]["live"] >= 1000),
        row(f"update → first frame p50 ({under} open loop)", frame["p50_us"], "µs"),
        row("update → first frame p99", frame["p99_us"], "µs", "< 5,000", frame["p99_us"] < 5000),
        row("update → first frame p99.9", frame["p999_us"], "µs", "< 20,000", frame["p999_us"] < 20000),
        row("update → first frame max", frame["max_us"], "µs"),
        row("update → ack p99 (same run)", load["update_ack"]["p99_us"], "µs"),
        row("updates dropped (acked, no frame + unanswered)", dropped, "", "0 (nothing dropped)", dropped == 0),
        row("error replies to updates", load["error_count"], ""),
        row("offer achieved", round(load["achieved_offer_per_second"]), "/s"),
        row("updates per reflecting frame (coalescing)", load["matched"] / max(1, load["reflecting_frames"]), ""),
        row(f"bare lws echo at the same offer: update → echo p99 ({under})", frame_echo["p99_us"], "µs"),
        row("bare lws echo: update → echo p99.9", frame_echo["p999_us"], "µs"),
        row("server CPU cores used under that load (incl. subscribe and drain)",
            load["server_cpu_seconds"] / load["wall_seconds"], "cores"),
        row("RSS per idle connection", per_conn / 1024, "KiB", "< 50", per_conn < 50 * 1024),
        row("RSS per idle connection, bare lws echo", r["idle_echo"]["bytes_per_connection"] / 1024, "KiB"),
        row("solverd still running at the end", r["solverd_alive"], "", "yes", r["solverd_alive"]),
    ]


def main():
    for binary in (SOLVERD, LOADGEN, LWS_ECHO):
        if not os.access(binary, os.X_OK):
            sys.exit(f"missing {binary}: run `make bench-server` (it builds everything)")
    started = datetime.now()
    procs = []
    try:
        solverd, port = start([SOLVERD, "serve", "--port", "0", "--max-sessions", str(LIVE_SESSIONS + 100)])
        procs.append(solverd)
        echo, echo_port = start([LWS_ECHO, str(free_port())])
        procs.append(echo)
        result = measure(solverd, port, echo, echo_port)
    finally:
        stop(*procs)
    finish("server", started, rows_for(result), solverd=SOLVERD, results=result,
           stage_tables=result.get("stage_tables", []))


if __name__ == "__main__":
    main()
