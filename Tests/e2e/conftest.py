"""End-to-end fixtures: start the real solverd binary on a free loopback port and talk to it with real clients."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def solverd_binary():
    for candidate in (os.environ.get("SOLVERD_BIN"), os.path.join(ROOT, ".build/release/solverd"),
                      os.path.join(ROOT, ".build/debug/solverd")):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.exit("solverd binary not found: build it first (make release) or set SOLVERD_BIN", returncode=2)


class Server:
    """A running `solverd serve` on 127.0.0.1 with an ephemeral port."""

    def __init__(self, *extra_args, cwd=ROOT, config=None, env=None, port=0, binary=None, **popen):
        """`config`: YAML text written to a file passed as --config; `env`: extra environment variables; `port`: 0 for
        an ephemeral one; `binary`: another solverd (an installed one); `popen`: more Popen arguments (user,
        preexec_fn).
        The log (stderr) goes to a file, so a chatty server never blocks on a full pipe; `log()` reads it."""
        args = list(extra_args)
        if config is not None:
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(config)
            args = ["--config", f.name, *args]
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([binary or solverd_binary(), "serve", "--port", str(port), *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env={**os.environ, **(env or {})}, **popen)
        line = self.proc.stdout.readline()
        match = re.search(r"listening on https?://([\d.]+):(\d+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"solverd did not start: {line!r} {self.log()}")
        self.port = int(match.group(2))
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws/solver"

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def url(self, path):
        return self.base + path

    def post(self, path, body, **kw):
        return requests.post(self.url(path), data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                             headers={"content-type": "application/json", **kw.pop("headers", {})},
                             timeout=kw.pop("timeout", 30), **kw)

    def get(self, path, **kw):
        return requests.get(self.url(path), timeout=kw.pop("timeout", 30), **kw)

    def stop(self, sig=signal.SIGTERM, timeout=35):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def fresh_server():
    s = Server()
    yield s
    s.stop()


def laplacian_csr(side, shift=0.5):
    """5-point Laplacian + shift on a side×side grid as CSR arrays (the same matrix the Swift generators build)."""
    row_pointers, col_indices, values = [0], [], []
    for gy in range(side):
        for gx in range(side):
            i = gy * side + gx
            entries = []
            if gy > 0: entries.append((i - side, -1.0))
            if gx > 0: entries.append((i - 1, -1.0))
            entries.append((i, 4.0 + shift))
            if gx < side - 1: entries.append((i + 1, -1.0))
            if gy < side - 1: entries.append((i + side, -1.0))
            for c, v in entries:
                col_indices.append(c)
                values.append(v)
            row_pointers.append(len(values))
    return {"rows": side * side, "cols": side * side,
            "data": {"row_pointers": row_pointers, "col_indices": col_indices, "values": values}, "format": "csr"}


PLAN_MATRIX_CONSISTENT = {
    "rows": 3, "cols": 3, "format": "csr",
    "data": {"values": [2, -1, -1, 2, -1, -1, 2], "row_indices": [0, 1, 0, 1, 2, 1, 2], "col_pointers": [0, 2, 5, 7]},
}


def wait_for(predicate, timeout=20.0, interval=0.01):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
