"""make bench-cluster: durable acknowledged updates/s per node (in process, and through the WebSocket server with
the compiled load generator: closed-loop maximum, then open-loop ack latency at half of it), failover time after
kill -9, restore time for n = 1e6, the time of a distributed verification round on four nodes (one answering
wrongly), and what other clients see while Redis pauses (DEBUG SLEEP) under status polls and pushes to the paused
session (issue 13). Each section runs against its own throwaway redis-server (append-only file, fsync on every
write). BENCH_CLUSTER_ONLY=pause,acks (a comma list of SECTIONS) runs some sections only. Saves
bench/results/cluster-latest.json."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "e2e"))
os.environ.setdefault("SOLVERD_BIN", os.path.join(ROOT, ".build/release/solverd"))

from bench_report import finish, row  # noqa: E402
from bench_server import LOADGEN, loadgen  # noqa: E402
from cluster_support import (Poller, RedisServer, cold_solve, create_session, expected_b, owner_of,  # noqa: E402
                             start_node, wait_applied)
from conftest import laplacian_csr, wait_for  # noqa: E402

LEASE_MS = 1000
PAUSE_SECONDS, PAUSES = 0.5, 3


def journal_bench(redis):
    binary = os.path.join(os.path.dirname(os.environ["SOLVERD_BIN"]), "solverd-bench-cluster")
    out = subprocess.run([binary, redis.url], capture_output=True, text=True, timeout=600, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def failover_bench(redis, rounds=3):
    times, lost = [], 0
    for _ in range(rounds):
        nodes = [start_node(redis, f"f{k}-{time.time_ns()}", LEASE_MS) for k in range(2)]
        try:
            matrix = laplacian_csr(20)
            sid = nodes[0].post("/api/v1/sessions", {"type": "solve_request", "matrix": matrix,
                                                     "vector": [1.0] * matrix["rows"]}).json()["session_id"]
            last_acked = 0
            for k in range(200):
                r = nodes[0].post("/api/v1/swarm/costs", {"type": "cost_update", "session_id": sid,
                                                          "delta_costs": {"indices": [k % matrix["rows"]], "values": [0.01]}})
                if r.status_code == 202:
                    last_acked = r.json()["seq"]
            nodes[0].proc.send_signal(signal.SIGKILL)
            t0 = time.time()
            new = wait_for(lambda: owner_of(nodes[1:], sid), timeout=10, interval=0.01)
            times.append(time.time() - t0)
            lost += 0 if wait_applied(new, sid, last_acked, timeout=10) else 1
        finally:
            for n in nodes:
                n.stop(signal.SIGKILL, timeout=5)
    return times, lost


def swarm_bench(redis, rounds=200):
    """Distributed verification rounds (10 probe rows, 4 voters, n4 faulty): the owner's round time (task cut →
    votes tallied) and the HTTP round trip of POST /api/v1/verify; the target for swarm consensus is < 10 ms
    (docs/design.md §11)."""
    nodes = [start_node(redis, f"v{k}", LEASE_MS) for k in range(1, 4)]
    nodes.append(start_node(redis, "v4", LEASE_MS, "--fault-inject-wrong-residuals"))
    try:
        matrix = laplacian_csr(100)
        sid = nodes[0].post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * matrix["rows"],
                                                 "options": {"swarm_enabled": True}}).json()["session_id"]
        verify = lambda: nodes[0].post("/api/v1/verify", {"session_id": sid, "probe_count": 10})  # noqa: E731
        # Exactly these four: a node killed by the failover runs counts (silent) until its heartbeat key expires.
        assert wait_for(lambda: (r := verify()).status_code == 200 and r.json()["swarm"]["asked_nodes"] == 4
                        and r.json()["swarm"]["participating_nodes"] == 4, timeout=15), "four voters never answered"
        round_ms, http_ms, outvoted, errors, others = [], [], 0, [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = verify()
            http_ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                errors.append(r.text)
                continue
            result = r.json()
            round_ms.append(result["verification_time_ms"])
            if result["swarm"]["consensus_reached"] and result["swarm"]["dissenting_nodes"] == ["v4"]:
                outvoted += 1
            else:
                others.append(result["swarm"])
        if others:
            print(f"swarm bench: {len(others)} rounds did not name v4, first: {others[0]}", file=sys.stderr)
        if errors:
            print(f"swarm bench: {len(errors)} of {rounds} verifications failed, first: {errors[0]}", file=sys.stderr)
        return sorted(round_ms), sorted(http_ms), outvoted
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL, timeout=5)


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def ms(seconds):
    """Latencies in s → {count, p50, p99, max} in ms (zeros when there are none)."""
    values = sorted(seconds) or [0.0]
    return {"count": len(seconds), **{k: round(percentile(values, q) * 1000, 3)
                                      for k, q in (("p50", 0.5), ("p99", 0.99), ("max", 1))}}


def during(samples, windows, inside=True):
    """The latencies of the (start, seconds, ...) samples whose time in flight overlaps one of the (start, end)
    windows (with inside=False: overlaps none)."""
    return [s[1] for s in samples if any(s[0] <= end and s[0] + s[1] >= start for start, end in windows) == inside]


def ping_samples(path):
    """loadgen ping's $LOADGEN_SAMPLES file → (due wall-clock time, RTT s; None when lost)."""
    with open(path) as f:
        return [(int(due) / 1e9, int(rtt) / 1e9 if int(rtt) >= 0 else None) for due, rtt in map(str.split, f)]


def pause_bench(redis):
    """Issue 13 (a): one node, one session; a compiled client pings every 5 ms on its own WebSocket, /health and
    GET /api/v1/status/{id} of the session are polled, and cost_updates are POSTed to it (one at a time, each on a
    keep-alive connection from its own thread) while Redis is paused PAUSES times for PAUSE_SECONDS (DEBUG SLEEP,
    1 s apart). Then every acknowledged update must be in the session: last_applied_seq reaches the largest acked
    seq and x is the cold solve with every acked delta."""
    node = start_node(redis, "pause", 3000)
    samples_file = tempfile.NamedTemporaryFile(prefix="loadgen-ping-", delete=False).name
    try:
        sid, matrix, b = create_session(node, side=20)
        rows = matrix["rows"]
        update = lambda k: {"type": "cost_update", "session_id": sid,  # noqa: E731
                            "delta_costs": {"indices": [k % rows], "values": [0.001 * (k % 7 + 1)]}}
        seconds = 1 + PAUSES * (PAUSE_SECONDS + 1) + 0.5
        ping = subprocess.Popen([LOADGEN, "ping", "--port", str(node.port), "--interval-ms", "5", "--seconds", str(seconds)],
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "LOADGEN_SAMPLES": samples_file})
        pollers = {"health": Poller(node.port, "/health"), "status": Poller(node.port, f"/api/v1/status/{sid}"),
                   "push": Poller(node.port, "/api/v1/swarm/costs", interval=0.002, body=update)}
        time.sleep(1)
        windows = []
        for _ in range(PAUSES):
            windows.append(redis.debug_sleep(PAUSE_SECONDS))  # blocks this thread only; the clients run on their own
            time.sleep(1)
        ping_report = json.loads(ping.communicate(timeout=seconds + 30)[0].splitlines()[0])
        polled = {name: poller.stop() for name, poller in pollers.items()}
        pings = ping_samples(samples_file)
        # Which pushes were acknowledged (202 with a seq), and are all of them in the session?
        acked = [(k, json.loads(reply)["seq"]) for k, (_, _, status, reply) in enumerate(polled["push"], 1) if status == 202]
        last_seq = max(seq for _, seq in acked)
        status = wait_applied(node, sid, last_seq) or {}
        missing = sum(seq > status.get("last_applied_seq", 0) for _, seq in acked)
        deltas = [(update(k)["delta_costs"]["indices"][0], update(k)["delta_costs"]["values"][0]) for k, _ in acked]
        x = node.get(f"/api/v1/sessions/{sid}/solution").json()["x"]
        x_matches = bool(np.allclose(x, cold_solve(matrix, expected_b(b, deltas)), rtol=1e-6, atol=1e-8))
    finally:
        node.stop(signal.SIGKILL, timeout=5)
        os.unlink(samples_file)
    answered = [(due, rtt) for due, rtt in pings if rtt is not None]
    base = windows[0][0] - 1
    relative = lambda samples: [[round(t - base, 4), round(seconds * 1000, 3)] for t, seconds, *_ in samples]  # noqa: E731
    return {
        "pause_seconds": PAUSE_SECONDS, "pauses": len(windows),
        "ping": ping_report, "ping_overall_ms": ms([rtt for _, rtt in answered]),
        "ping_during_pauses_ms": ms(during(answered, windows)),
        "health_during_pauses_ms": ms(during(polled["health"], windows)),
        "health_outside_pauses_ms": ms(during(polled["health"], windows, inside=False)),
        "status_during_pauses_ms": ms(during(polled["status"], windows)),
        "push_ms": ms([s[1] for s in polled["push"]]), "pushes": len(polled["push"]), "pushes_acked": len(acked),
        "pushes_refused": sum(s[2] != 202 for s in polled["push"]), "acked_seqs_distinct": len({q for _, q in acked}),
        "acked_lost": missing, "x_matches_cold_solve": x_matches,
        "timeline": {"pauses": [[round(s - base, 3), round(e - base, 3)] for s, e in windows],
                     "ping": relative(answered), "health": relative(polled["health"])},
    }


def pause_rows(p):
    during_ping, health, status = p["ping_during_pauses_ms"], p["health_during_pauses_ms"], p["status_during_pauses_ms"]
    label = f"{p['pauses']} Redis pauses of {p['pause_seconds']} s (DEBUG SLEEP)"
    lost_ok = p["acked_lost"] == 0 and p["x_matches_cold_solve"] and p["acked_seqs_distinct"] == p["pushes_acked"]
    return [
        row(f"WebSocket ping RTT (every 5 ms) during {label}, p99", during_ping["p99"], "ms", "< 5, none lost",
            during_ping["p99"] < 5 and p["ping"]["lost"] == 0),
        row("WebSocket ping RTT during the pauses, max", during_ping["max"], "ms"),
        row(f"WebSocket ping RTT over the whole run, p99 / max ({p['ping']['lost']} of {p['ping']['sent']} lost)",
            f"{p['ping_overall_ms']['p99']} / {p['ping_overall_ms']['max']}", "ms"),
        row("GET /health during the pauses, max", health["max"], "ms", "< 5", health["max"] < 5),
        row("GET /health during the pauses, p99 (outside them)",
            f"{health['p99']} ({p['health_outside_pauses_ms']['p99']})", "ms"),
        row("GET /api/v1/status/{id} of the paused session during the pauses, max", status["max"], "ms"),
        row("POST /api/v1/swarm/costs to the paused session, ack latency max", p["push_ms"]["max"], "ms"),
        row(f"acknowledged updates lost over the pauses (of {p['pushes_acked']} acked, {p['pushes_refused']} refused)",
            p["acked_lost"], "updates", "0 (x = cold solve)", lost_ok),
    ]


def durable_ack_bench(redis, sessions=8, runs=((8, 16), (16, 32), (32, 32))):
    """Issue 13 (b): durable acks through the real server. `loadgen throughput --message cost_update` over
    `sessions` small sessions for the most acks/s (best of the (connections, window) runs; error replies do not
    count), then `loadgen acks` (open loop, as many connections as the best run) offering half of that, and 10,000/s
    (half the 20,000/s target), for the ack latency."""
    node = start_node(redis, "acks", 3000)
    try:
        matrix = laplacian_csr(10)
        sids = [node.post("/api/v1/sessions", {"matrix": matrix, "vector": [1.0] * matrix["rows"]}).json()["session_id"]
                for _ in range(sessions)]
        common = ["--port", node.port, "--session", ",".join(sids), "--n", matrix["rows"]]
        closed = [loadgen("throughput", *common, "--message", "cost_update", "--connections", c, "--window", w,
                          "--seconds", 3) for c, w in runs]
        for r in closed:
            r["acks_per_second"] = round((r["replies"] - r["errors"]) / r["seconds"])
        best = max(closed, key=lambda r: r["acks_per_second"])
        rates = {"half of the best": max(best["acks_per_second"] / 2, 1), "half the 20,000/s target": 10000}
        open_loop = {name: loadgen("acks", *common, "--connections", best["connections"], "--rate", rate,
                                   "--seconds", 5, timeout=120) for name, rate in rates.items()}
    finally:
        node.stop(signal.SIGKILL, timeout=5)
    return {"sessions": sessions, "closed_loop": closed, "best_acks_per_second": best["acks_per_second"],
            "open_loop": open_loop}


def durable_ack_rows(d):
    best = d["best_acks_per_second"]
    rows = [row(f"durable acked updates/s through the server (WebSocket, {d['sessions']} sessions, best closed loop)",
                best, "/s", ">= 20,000", best >= 20000)]
    for name, run in d["open_loop"].items():
        lat, unacked = run["ack_latency"], run["sent"] - run["acked"]
        rows += [
            row(f"ack latency p99, open loop at {name} ({run['rate']:,.0f}/s on {run['connections']} connections)",
                round(lat["p99_us"] / 1000, 3), "ms", "< 5, all acked", lat["p99_us"] < 5000 and unacked == 0),
            row(f"  p50 / p999 / max; updates not acked (refused or unanswered) of {run['sent']:,}",
                f"{lat['p50_us'] / 1000:.3f} / {lat['p999_us'] / 1000:.3f} / {lat['max_us'] / 1000:.3f}; {unacked}", "ms"),
        ]
    return rows


def journal_section(redis):
    journal = journal_bench(redis)
    rate = journal["durable_updates_per_second"]
    return [row("durable acknowledged updates/s in process (solverd-bench-cluster, appendfsync always)", rate, "/s",
                ">= 20,000", rate >= 20000),
            row(f"restore n = {journal['restore_n']:,} (+{journal['replayed']} journal entries replayed)",
                round(journal["restore_seconds"], 3), "s")], {"journal": journal}


def failover_section(redis):
    failovers, lost = failover_bench(redis)
    worst = max(failovers)
    return [row("failover after kill -9 (worst of 3)", round(worst, 3), "s", f"< lease + 1 s = {LEASE_MS / 1000 + 1:.1f}",
                worst < LEASE_MS / 1000 + 1),
            row("failovers missing an acknowledged update", lost, "of 3", "0", lost == 0)], \
        {"failover_seconds": failovers, "lease_seconds": LEASE_MS / 1000}


def swarm_section(redis):
    swarm_round, swarm_http, outvoted = swarm_bench(redis)
    return [row("swarm verification round, 4 voters, p50", round(percentile(swarm_round, 0.5), 3), "ms"),
            row("swarm verification round, 4 voters, p99", round(percentile(swarm_round, 0.99), 3), "ms", "< 10 (docs/design.md §11)",
                percentile(swarm_round, 0.99) < 10),
            row("POST /api/v1/verify answered with the round, p99", round(percentile(swarm_http, 0.99), 3), "ms"),
            row("rounds that outvoted and named the faulty node", outvoted, f"of {len(swarm_round)}", "all",
                outvoted == len(swarm_round))], {"swarm_round_ms": swarm_round, "swarm_verify_http_ms": swarm_http}


def pause_section(redis):
    p = pause_bench(redis)
    return pause_rows(p), {"pause": p}


def acks_section(redis):
    d = durable_ack_bench(redis)
    return durable_ack_rows(d), {"server_acks": d}


SECTIONS = {"journal": journal_section, "acks": acks_section, "failover": failover_section, "swarm": swarm_section,
            "pause": pause_section}


def main():
    only = [s for s in os.environ.get("BENCH_CLUSTER_ONLY", "").split(",") if s] or list(SECTIONS)
    if set(only) - set(SECTIONS):
        sys.exit(f"BENCH_CLUSTER_ONLY: unknown sections {sorted(set(only) - set(SECTIONS))}; known: {', '.join(SECTIONS)}")
    started = datetime.now()
    rows, fields = [], {}
    for name in [s for s in SECTIONS if s in only]:
        redis = RedisServer(debug_command=True)
        try:
            section_rows, section_fields = SECTIONS[name](redis)
        finally:
            redis.stop()
        rows += section_rows
        fields.update(section_fields)
    finish("cluster", started, rows, sections=only, redis="appendonly yes, appendfsync always", **fields)


if __name__ == "__main__":
    main()
