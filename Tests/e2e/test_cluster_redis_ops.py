"""Redis as operators run it: the README's password, ACL, Sentinel and TLS (stunnel) set-ups run as printed, a refused
login stops start-up naming the URL without its password, and `config check` never prints a password."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from cluster_support import SENTINEL, RedisServer, SentinelGroup, create_session, needs_redis, needs_sentinel, wait_until
from conftest import free_port, readme_block, solverd_binary

pytestmark = needs_redis
# The ports the README's examples use; each becomes a free port when a block runs.
README_PORTS = ("3000", "3001", "6379", "6380", "6390", "26379", "26380", "26381")
NEEDS = {"redis-sentinel": SENTINEL, "redis-tls": shutil.which("stunnel") and shutil.which("openssl")}


class ReadmeRun:
    """Runs a README block with bash in a temp dir (solverd on PATH), its ports replaced by free ones; the whole
    process group is killed at the end."""

    def __init__(self, script):
        self.ports = {p: str(free_port()) for p in README_PORTS}
        self.script = re.sub(r"\b(" + "|".join(README_PORTS) + r")\b", lambda m: self.ports[m.group(1)], script)
        self.dir = tempfile.mkdtemp(prefix="solverd-readme-")
        self.log_path = os.path.join(self.dir, "output.log")
        env = {**os.environ, "PATH": os.path.dirname(solverd_binary()) + os.pathsep + os.environ["PATH"]}
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(["bash", "-c", self.script], cwd=self.dir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        return open(self.log_path).read()

    def node_url(self, path):
        port = re.search(r"solverd serve --port (\d+)", self.script).group(1)
        return f"http://127.0.0.1:{port}{path}"

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    """Just enough of conftest.Server for `create_session`."""

    def __init__(self, run):
        self.run = run

    def post(self, path, body, **kw):
        return requests.post(self.run.node_url(path), json=body, timeout=kw.pop("timeout", 30), **kw)


@pytest.mark.parametrize("name", ["redis-password", "redis-acl", "redis-sentinel", "redis-tls"])
def test_readme_examples_run_as_printed(name):
    if name in NEEDS and not NEEDS[name]:
        pytest.skip(f"{name} needs tools that are not installed (make deps)")
    run = ReadmeRun(readme_block(name))
    try:
        wait_until(lambda: requests.get(run.node_url("/api/v1/health"), timeout=1).status_code == 200, 20,
                   f"the node did not come up: {run.log()[-2000:]}")
        node = Node(run)
        sid, _, _ = wait_until(lambda: retry_create(node), 15, f"no session was created: {run.log()[-2000:]}")
        # Under Sentinel with --wait-replicas 1 the first acks wait until the replica is attached.
        body = {"type": "cost_update", "session_id": sid, "delta_costs": {"indices": [0], "values": [0.5]}}
        ack = wait_until(lambda: (r := node.post("/api/v1/swarm/costs", body, timeout=5)).status_code == 202 and r, 15,
                         f"no update was acknowledged: {run.log()[-2000:]}")
        assert ack.json()["seq"] >= 1
        log = run.log()
        assert "pa@ss" not in log and "pa%40ss" not in log and "s3cret" not in log
    finally:
        run.stop()


def retry_create(node):
    try:
        return create_session(node, side=6)
    except AssertionError:
        return None


def serve_fails(url):
    """Runs `solverd serve --cluster url`; it must exit on its own: (exit code, stderr)."""
    proc = subprocess.run([solverd_binary(), "serve", "--port", "0", "--cluster", url], capture_output=True,
                          text=True, timeout=20)
    return proc.returncode, proc.stderr


def test_refused_login_stops_startup_without_showing_the_password():
    redis = RedisServer(extra=["--requirepass", "right-one"], auth=("right-one",))
    try:
        started = time.time()
        code, err = serve_fails(f"redis://:wrong-one@127.0.0.1:{redis.port}")
        assert code == 1 and time.time() - started < 10
        assert f"redis://:***@127.0.0.1:{redis.port}" in err and "WRONGPASS" in err, err
        assert "wrong-one" not in err
        code, err = serve_fails(f"redis://someone:wrong-one@127.0.0.1:{redis.port}/2")
        assert code == 1 and f"redis://someone:***@127.0.0.1:{redis.port}/2" in err and "wrong-one" not in err, err
        code, err = serve_fails(f"redis://127.0.0.1:{redis.port}")
        assert code == 1 and "NOAUTH" in err, err
    finally:
        redis.stop()


@needs_sentinel
def test_refused_login_under_sentinel_stops_startup():
    group = SentinelGroup(count=1, quorum=1)
    try:
        group.master.command("CONFIG", "SET", "requirepass", "right-one")
        code, err = serve_fails(group.url.replace("redis+sentinel://", "redis+sentinel://:wrong-one@"))
        assert code == 1 and "redis+sentinel://:***@" in err and "WRONGPASS" in err and "wrong-one" not in err, err
    finally:
        group.stop()


def config_check(yaml_text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(yaml_text)
    return subprocess.run([solverd_binary(), "config", "check", f.name], capture_output=True, text=True, timeout=20)


def test_config_check_names_the_key_and_never_prints_a_password():
    ok = config_check("cluster: {redis_url: 'redis://solverd:hunter2@10.0.0.5:6380/1', wait_replicas: 1}")
    assert ok.returncode == 0 and "redis://solverd:***@10.0.0.5:6380/1" in ok.stdout, ok.stdout + ok.stderr
    sentinel = config_check("cluster: {redis_url: 'redis+sentinel://:hunter2@a:26379,b/m', sentinel_password: hunter3}")
    assert sentinel.returncode == 0 and "redis+sentinel://:***@a:26379,b:26379/m" in sentinel.stdout, sentinel.stderr
    for text, key in [("cluster: {redis_url: 'redis://:hunter2@h:99999'}", "cluster.redis_url"),
                      ("cluster: {redis_url: 'redis://:hunter2@h', sentinel_password: hunter3}", "cluster.sentinel_password"),
                      ("cluster: {redis_url: 'redis://h', wait_timeout_ms: 0}", "cluster.wait_timeout_ms")]:
        bad = config_check(text)
        assert bad.returncode == 2 and key in bad.stderr, bad.stderr
        assert "hunter" not in bad.stdout + bad.stderr
