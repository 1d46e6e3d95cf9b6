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
SENTINEL = shutil.which("redis-sentinel")
needs_redis = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server)")
needs_sentinel = pytest.mark.skipif(REDIS is None or SENTINEL is None,
                                    reason="redis-server or redis-sentinel is not installed (apt-get install redis-sentinel)")


def wait_until(predicate, timeout, what):
    """Polls `predicate` (exceptions count as not yet) until it is truthy; raises naming `what` after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, RuntimeError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} within {timeout} s")


class RedisServer:
    """redis-server on a free loopback port with an append-only file in a temp dir (fsync on every write), so a
    restart keeps what was acknowledged. `extra`: more arguments (`--requirepass`, …); `auth`: what `command` logs
    in with; `start(replica_of=port)` (re)starts it as a replica; `debug_command`: allow DEBUG (for `debug_sleep`)."""

    def __init__(self, extra=(), auth=(), replica_of=None, debug_command=False):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="solverd-redis-")
        self.extra = list(extra) + (["--enable-debug-command", "yes"] if debug_command else [])
        self.auth = tuple(auth)
        self.proc = None
        self.start(replica_of)

    def start(self, replica_of=None):
        replica = ["--replicaof", "127.0.0.1", str(replica_of)] if replica_of else []
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir,
                                      *replica, *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.command("PING") == "PONG", 10, "redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def command(self, *args):
        return redis_probe.command(self.port, *args, auth=self.auth)

    def debug_sleep(self, seconds):
        """DEBUG SLEEP: the whole redis-server stops answering for `seconds` (and so does this call, on its own
        connection). Returns the pause's (start, end) wall-clock times."""
        start = time.time()
        assert redis_probe.command(self.port, "DEBUG", "SLEEP", seconds, timeout=seconds + 5) == "OK"
        return start, time.time()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"


class SentinelGroup:
    """A master and one replica (both append-only, fsync always) watched by `count` redis-sentinels as `name`
    (quorum 2, down after 1 s). Set up completely: the replica is in sync and every Sentinel knows the replica and
    the other Sentinels, so a failover can start as soon as the master dies. `url` is what solverd is given."""

    def __init__(self, name="mymaster", count=3, quorum=2, down_after_ms=1000, failover_timeout_ms=2000):
        self.name = name
        self.master = RedisServer()
        self.replica = RedisServer(replica_of=self.master.port)
        wait_until(lambda: self.replica.command("ROLE")[3] == b"connected", 10, "the replica did not sync")
        self.sentinels, self.dirs = [], []
        for _ in range(count):
            port, directory = free_port(), tempfile.mkdtemp(prefix="solverd-sentinel-")
            self.dirs.append(directory)
            with open(os.path.join(directory, "sentinel.conf"), "w") as f:
                f.write(f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
                        f"sentinel monitor {name} 127.0.0.1 {self.master.port} {quorum}\n"
                        f"sentinel down-after-milliseconds {name} {down_after_ms}\n"
                        f"sentinel failover-timeout {name} {failover_timeout_ms}\n")
            proc = subprocess.Popen([SENTINEL, os.path.join(directory, "sentinel.conf")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.sentinels.append((port, proc))
        for port, _ in self.sentinels:
            def ready(port=port):
                state = dict(zip(*[iter(redis_probe.command(port, "SENTINEL", "MASTER", name))] * 2))
                return int(state[b"num-slaves"]) >= 1 and int(state[b"num-other-sentinels"]) >= count - 1
            wait_until(ready, 15, "the Sentinels did not find the replica and each other")

    @property
    def url(self):
        return "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p, _ in self.sentinels) + f"/{self.name}"

    def master_port(self):
        """The master's port as the first Sentinel that answers names it."""
        for port, _ in self.sentinels:
            try:
                return int(redis_probe.command(port, "SENTINEL", "get-master-addr-by-name", self.name)[1])
            except OSError:
                continue
        return None

    def stop(self):
        for _, proc in self.sentinels:
            proc.kill()
            proc.wait()
        for server in (self.master, self.replica):
            server.stop()
        for directory in self.dirs + [self.master.dir, self.replica.dir]:
            shutil.rmtree(directory, ignore_errors=True)


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


def sparse(matrix):
    """The CSR matrix of a `laplacian_csr` dict as scipy's."""
    d = matrix["data"]
    return scipy.sparse.csr_matrix((d["values"], d["col_indices"], d["row_pointers"]), shape=(matrix["rows"], matrix["cols"]))


def cold_solve(matrix, b):
    return scipy.sparse.linalg.spsolve(sparse(matrix).tocsc(), b)


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
