"""Helpers for the cluster tests: a throwaway redis-server and solverd nodes joined to it."""
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest
import requests
import redis_probe
import scipy.sparse
import scipy.sparse.linalg

from conftest import Server, free_port, laplacian_csr

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server)")


class RedisServer:
    """redis-server on a free loopback port with an append-only file in a temp dir (fsync on every write), so a
    restart keeps what was acknowledged."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="solverd-redis-")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if redis_probe.command(self.port, "PING") == "PONG":
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def command(self, *args):
        return redis_probe.command(self.port, *args)

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
