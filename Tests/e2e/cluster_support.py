"""Helpers for the cluster tests: a throwaway redis-server and solverd nodes joined to it."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import numpy as np
import pytest
import requests
import redis_probe
import scipy.sparse
import scipy.sparse.linalg

from conftest import Server, free_port, laplacian_csr, wait_for

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server)")


class RedisServer:
    """redis-server on a free loopback port with an append-only file in a temp dir (fsync on every write), so a
    restart keeps what was acknowledged. `debug_command`: allow DEBUG (for `debug_sleep`)."""

    def __init__(self, debug_command=False):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="solverd-redis-")
        self.proc = None
        self.extra = ["--enable-debug-command", "yes"] if debug_command else []
        self.start()

    def start(self):
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir, *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if redis_probe.command(self.port, "PING") == "PONG":
                    return
            except (OSError, RuntimeError):  # not listening yet, or "LOADING" the append-only file after a restart
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def command(self, *args):
        return redis_probe.command(self.port, *args)

    def debug_sleep(self, seconds):
        """DEBUG SLEEP: the whole redis-server stops answering for `seconds` (and so does this call, on its own
        connection). Returns the pause's (start, end) wall-clock times."""
        start = time.time()
        assert redis_probe.command(self.port, "DEBUG", "SLEEP", seconds, timeout=seconds + 5) == "OK"
        return start, time.time()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"


def start_node(redis, node_id, lease_ms=1000, *extra, env=None):
    node = Server("--cluster", redis.url, "--node-id", node_id, "--lease-ms", str(lease_ms), *extra, env=env)
    node.node_id = node_id
    return node


def create_session(node, side=12):
    """A shifted-Laplacian session solved to 1e-10 on `node`: (session id, matrix, b)."""
    matrix = laplacian_csr(side)
    b = [1.0] * matrix["rows"]
    r = node.post("/api/v1/sessions", {"type": "solve_request", "matrix": matrix, "vector": b,
                                       "options": {"tolerance": 1e-10}})
    assert r.status_code == 201, r.text
    return r.json()["session_id"], matrix, np.array(b)


def cold_solve(matrix, b):
    d = matrix["data"]
    a = scipy.sparse.csr_matrix((d["values"], d["col_indices"], d["row_pointers"]), shape=(matrix["rows"], matrix["cols"]))
    return scipy.sparse.linalg.spsolve(a.tocsc(), b)


def expected_b(b, deltas):
    """b with every (index, delta) added."""
    b = b.copy()
    for i, v in deltas:
        b[i] += v
    return b


def owner_of(nodes, session_id):
    """The node (of `nodes`) currently owning the session, per the cluster route of any live node."""
    for n in nodes:
        if n.proc.poll() is not None:
            continue
        try:
            r = requests.get(n.url(f"/api/v1/cluster/sessions/{session_id}"), timeout=2)
        except Exception:
            continue
        if r.status_code == 200:
            owner = r.json()["owner"]
            return next((m for m in nodes if m.node_id == owner), None)
    return None


def wait_applied(node, session_id, seq, timeout=15):
    """The session's status on `node` once its last_applied_seq reaches `seq` (None after `timeout` s). Updates
    apply in seq order, so then every update acknowledged up to `seq` is in x."""
    def applied():
        try:
            r = requests.get(node.url(f"/api/v1/sessions/{session_id}"), timeout=5)
        except requests.RequestException:
            return None
        return r.status_code == 200 and r.json().get("last_applied_seq", 0) >= seq and r.json()
    return wait_for(applied, timeout=timeout, interval=0.05) or None


class Poller:
    """Requests `path` on one keep-alive connection every `interval` s from a thread until `stop()`: a GET, or with
    `body` (request number → dict) a JSON POST. `samples`: (start wall-clock time, seconds, HTTP status or None
    when the request failed, reply body)."""

    def __init__(self, port, path, interval=0.005, timeout=5, body=None):
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(port, path, interval, timeout, body), daemon=True)
        self._thread.start()

    def _run(self, port, path, interval, timeout, body):
        conn, k = None, 0
        while not self._stop.is_set():
            conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            k += 1
            start, t0 = time.time(), time.perf_counter()
            try:
                if body:
                    conn.request("POST", path, json.dumps(body(k)), {"content-type": "application/json"})
                else:
                    conn.request("GET", path)
                response = conn.getresponse()
                status, reply = response.status, response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn, status, reply = None, None, b""
            self.samples.append((start, time.perf_counter() - t0, status, reply))
            self._stop.wait(interval)

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        return self.samples
