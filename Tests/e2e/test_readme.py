"""The READMEs run as written: every fenced block of README.md, clients/websocat/README.md and
clients/python/README.md is run as printed against `solverd serve` on the documented port 3000 (another port, put in
place of 3000, only when 3000 is busy), in the order a reader follows them, and its output is checked. That includes
the WebSocket tour: `websocat -n` watching while a second process pushes an update, which must show the
re-convergence. Every block carries an `<!-- e2e: NAME -->` line and some test runs each NAME (the Redis set-ups in
test_cluster_redis_ops.py, `make install` in test_install.py)."""
import ast
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, Server
from doc_blocks import DOCUMENTS, block, blocks

DOCUMENTED_PORT = 3000
A = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def documented():
    """solverd on port 3000 when free (else an ephemeral port), started from the repository like `make run`."""
    server = Server(port=DOCUMENTED_PORT if port_is_free(DOCUMENTED_PORT) else 0)
    yield server
    server.stop()


def as_printed(text, server):
    """The block with the documented port replaced by the server's (a no-op when it got 3000)."""
    return re.sub(rf"\b{DOCUMENTED_PORT}\b", str(server.port), text)


def run(text, server, cwd=ROOT, shell="bash", stdin=None, timeout=60):
    return subprocess.run([shell, "-c", as_printed(text, server)], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def json_values(output):
    """Every JSON object printed, one per line or pretty-printed (status.sh uses jq when present)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (at := output.find("{", at)) >= 0:
        value, at = decoder.raw_decode(output, at)
        values.append(value)
    return values


def test_every_block_is_named_and_run_by_a_test():
    sources = ""
    for path in glob.glob(os.path.join(ROOT, "Tests", "e2e", "test_*.py")):
        with open(path) as f:
            sources += f.read()
    for document in DOCUMENTS:
        for name, language, text in blocks(document):
            assert name, f"{document}: a block has no <!-- e2e: NAME --> line: {text[:80]!r}"
            assert re.search(rf"[\"']{re.escape(name)}[\"']", sources), f"no test runs {document}'s block {name}"


def test_the_two_commands():
    # `make test` is what CI runs (.ci/run); `make run` builds the release binary and serves what `serve` serves.
    text = block("README.md", "make")
    assert re.findall(r"^(make \w+)", text, re.M) == ["make run", "make test"]
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert f.read().strip().splitlines()[-1] == "make test"
    dry = subprocess.run(["make", "-n", "run", "ARGS=--port 8080"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert ".build/release/solverd serve --port 8080" in dry.stdout


def test_the_tour(documented):
    server = documented
    created = run(block("README.md", "tour-create"), server)
    records = json_values(created.stdout)
    assert records[0]["type"] == "session_created" and records[0]["session_id"] == "uuid-session-123", created.stdout
    assert records[-1]["type"] == "convergence_signal" and records[-1]["converged"], created.stdout

    # The watcher runs on while a second process pushes the update, as in two terminals.
    watcher = subprocess.Popen(["bash", "-c", as_printed(block("README.md", "tour-watch"), server)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        frames = []

        def read_until(predicate, what):
            deadline = time.time() + 20
            while time.time() < deadline:
                line = watcher.stdout.readline()
                if not line:
                    break
                frames.append(json.loads(line))
                if predicate(frames[-1]):
                    return frames[-1]
            raise AssertionError(f"websocat did not show {what}: {frames} {watcher.poll()}")

        read_until(lambda f: f["type"] == "convergence_signal", "the replayed convergence")
        pushed = run(block("README.md", "tour-push"), server)
        ack = json.loads(pushed.stdout)
        assert ack["type"] == "ack" and ack["seq"] > 0, pushed.stdout
        signal_frame = read_until(lambda f: f["type"] == "convergence_signal" and f["seq"] > ack["seq"],
                                  "the re-convergence after the push")
        assert signal_frame["last_applied_seq"] >= ack["seq"]
        assert any(f["type"] == "iteration_update" and f["seq"] > ack["seq"] for f in frames)
        assert watcher.poll() is None, "websocat stopped watching"
    finally:
        os.killpg(watcher.pid, signal.SIGTERM)
        watcher.wait(timeout=10)

    read = run(block("README.md", "tour-read"), server)
    verified, status, solution, deleted = json_values(read.stdout)
    assert verified["type"] == "verification_result" and verified["verified"], read.stdout
    assert status["session_id"] == "uuid-session-123" and status["last_applied_seq"] == ack["seq"]
    expected = np.linalg.solve(A, [1.01, 2.0, 2.997])
    assert solution["indices"] == [0, 2]
    np.testing.assert_allclose(solution["values"], expected[[0, 2]], rtol=1e-7)
    assert deleted["type"] == "session_deleted"
    assert "uuid-session-123" not in server.get("/api/v1/sessions").text


def test_the_python_example(documented):
    # The interpreter running these tests, where `make test` installed the client (`python3` on PATH may be a
    # version manager's shim, which picked another interpreter in two local runs).
    done = run(block("README.md", "tour-python"), documented, shell=sys.executable)
    assert done.returncode == 0, done.stderr
    printed = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(printed["x"], np.linalg.solve(A, [2.0, 2.0, 3.0]), rtol=1e-6)


def test_the_websocat_recipes_readme(documented):
    recipes = os.path.join(ROOT, "clients", "websocat")
    tour = run(block("clients/websocat/README.md", "websocat-tour") + block("clients/websocat/README.md",
               "websocat-bad-indices"), documented, timeout=120)
    records = json_values(tour.stdout)
    types = [r.get("type") for r in records]
    for expected in ("subscribed", "ack", "convergence_signal", "verification_result"):
        assert expected in types, tour.stdout + tour.stderr
    assert records[-1]["error"]["code"] == "index_out_of_range", tour.stdout
    assert records[-1]["error"]["field"] == "delta_costs.indices[0]"

    env_url = {**os.environ, "SOLVERD_URL": f"http://127.0.0.1:{documented.port}"}
    stamped = subprocess.run(["bash", "-c", block("clients/websocat/README.md", "websocat-timestamps")], cwd=recipes,
                             env=env_url, capture_output=True, text=True, timeout=60)
    lines = stamped.stdout.splitlines()
    assert lines and all(re.match(r"\w{3} \w{3} +\d+ [\d:]+ \w+ \d{4}: \{", line) for line in lines), stamped.stdout
    assert '"convergence_signal"' in lines[-1]


def test_websocat_by_hand(documented):
    command, *typed = block("clients/websocat/README.md", "websocat-by-hand").strip().splitlines()
    sid = documented.post("/api/v1/sessions", {"matrix": {"rows": 2, "cols": 2, "format": "csr", "data": {
        "row_pointers": [0, 1, 2], "col_indices": [0, 1], "values": [2.0, 4.0]}}, "vector": [2, 4]}).json()["session_id"]
    hand = subprocess.Popen(["bash", "-c", as_printed(command, documented)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in typed:  # typed one after another; the terminal stays open
            hand.stdin.write(line.replace("SID", sid) + "\n")
            hand.stdin.flush()
        frames = []
        deadline = time.time() + 20
        while time.time() < deadline and not {("ack", "1"), ("verification_result", "v")} <= {
                (f["type"], f.get("ref")) for f in frames}:
            frames.append(json.loads(hand.stdout.readline()))
        types = [f["type"] for f in frames]
        assert "subscribed" in types and "error" not in types, frames
        assert ("ack", "1") in [(f["type"], f.get("ref")) for f in frames], frames
    finally:
        os.killpg(hand.pid, signal.SIGTERM)
        hand.wait(timeout=10)


@pytest.mark.parametrize("name", ["python-install", "python-http", "python-ws", "python-arrays"])
def test_the_python_client_readme(documented, name):
    language = {b[0]: b[1] for b in blocks("clients/python/README.md")}[name]
    done = run(block("clients/python/README.md", name), documented,
               shell="bash" if language == "bash" else "python3", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    if name == "python-http":
        assert re.search(r"^\d+ convergence_signal$", done.stdout, re.M), done.stdout
    if name == "python-ws":
        x = ast.literal_eval(done.stdout.strip().splitlines()[-1])
        assert len(x) == 3 and all(v > 0 for v in x), done.stdout
    if name == "python-arrays":
        assert done.stdout.split() == ["float64", "True"], done.stdout
