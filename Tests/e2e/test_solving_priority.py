"""`sessions.solving_priority`: the CPU priority of the solving that follows each first frame, reported by
`/api/v1/status` and `/metrics`. The default, `background` (nice 10), keeps a fair share against other busy processes;
`idle` (SCHED_IDLE) lets any waking thread take the core, and falls back to nice 10 while other processes' busy
threads starve it, so a solve still finishes."""
import json
import os
import subprocess
import sys
import time

import requests

from conftest import Server, laplacian_csr

BUSY_LOOP = "import time\nend = time.time() + float(__import__('sys').argv[1])\nwhile time.time() < end: pass\n"


def busy_processes(count, seconds):
    """`count` processes spinning at the default priority for at most `seconds` (bounded even if the test dies)."""
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(seconds)]) for _ in range(count)]


def metric(server, name):
    for line in server.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} missing from /metrics")


def solve_until_converged(server, side, timeout):
    """A Jacobi solve that needs a few hundred milliseconds of CPU: the last record of its stream and the seconds."""
    body = {"matrix": laplacian_csr(side, shift=0.01), "vector": [1.0] * side * side, "method": "jacobi",
            "options": {"tolerance": 1e-10, "max_iterations": 1_000_000}}
    started = time.monotonic()
    with requests.post(server.url("/api/v1/solve-stream?until=converged"), json=body, stream=True,
                       timeout=timeout) as response:
        assert response.status_code == 200, response.text
        records = [json.loads(line) for line in response.iter_lines() if line]
    return records[-1], time.monotonic() - started


def test_the_default_is_background_and_is_reported(server):
    assert server.get("/api/v1/status").json()["solving_priority"] == "background"
    assert metric(server, "solverd_solving_idle_priority") == 0
    assert metric(server, "solverd_solving_fallbacks_total") == 0


def test_idle_solving_falls_back_to_nice_10_while_busy_processes_starve_it():
    server = Server(env={"SOLVERD_SESSIONS_SOLVING_PRIORITY": "idle"})
    busy = []
    try:
        assert server.get("/api/v1/status").json()["solving_priority"] == "idle"
        record, _ = solve_until_converged(server, side=20, timeout=30)
        assert record["type"] == "convergence_signal" and record["converged"] is True
        assert metric(server, "solverd_solving_fallbacks_total") == 0  # nothing else was busy

        # More busy processes than cores: under the idle policy alone the solve would get well under 1 % of a core
        # (about a minute for this one); falling back it takes a few seconds.
        busy = busy_processes((os.cpu_count() or 2) + 1, seconds=40)
        record, seconds = solve_until_converged(server, side=40, timeout=30)
        assert record["type"] == "convergence_signal" and record["converged"] is True, record
        assert metric(server, "solverd_solving_fallbacks_total") >= 1
        assert server.get("/api/v1/status").json()["solving_priority"] == "background"
        assert metric(server, "solverd_solving_idle_priority") == 0
        assert "solving threads starved under the idle CPU policy" in server.log()
    finally:
        for p in busy:
            p.kill()
            p.wait()
        server.stop()
