"""Configuration: invalid values stop start-up naming the key (exit code 2); `config check`; env overrides."""
import os
import subprocess
import tempfile

import pytest

from conftest import ROOT, Server, solverd_binary


def write(text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    return f.name


@pytest.mark.parametrize("yaml,key", [
    ("server: {port: 99999}", "server.port"),
    ("rate_limits: {ip: {requests: zero}}", "rate_limits.ip.requests"),
    ("logging: {format: xml}", "logging.format"),
    ("auth: {tokens: [{principal: a, sha256: plain-token}]}", "auth.tokens[0].sha256"),
    ("server: {hots: 127.0.0.1}", "server.hots"),
    ("cluster: {redis_url: 'ftp://x'}", "cluster.redis_url"),
    ("cluster: {redis_url: 'rediss://x:6380'}", "cluster.redis_url"),
    ("cluster: {redis_url: 'redis://x:1', lease_ms: 20}", "cluster.lease_ms"),
    ("cluster: {heartbeat_ms: fast}", "cluster.heartbeat_ms"),
    ("cluster: {node_id: 'a b'}", "cluster.node_id"),
])
def test_config_check_and_serve_name_the_key_with_exit_code_2(yaml, key):
    path = write(yaml)
    check = subprocess.run([solverd_binary(), "config", "check", path], capture_output=True, text=True, timeout=30)
    assert check.returncode == 2 and key in check.stderr, check.stderr
    serve = subprocess.run([solverd_binary(), "serve", "--config", path, "--port", "0"], capture_output=True, text=True,
                           timeout=30)
    assert serve.returncode == 2 and key in serve.stderr, serve.stderr


def test_the_shipped_config_is_valid():
    check = subprocess.run([solverd_binary(), "config", "check", os.path.join(ROOT, "Config/solverd.yaml")],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_non_loopback_without_auth_refuses_to_start_unless_insecure():
    run = subprocess.run([solverd_binary(), "serve", "--host", "0.0.0.0", "--port", "0"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 2 and "server.host" in run.stderr and "--insecure" in run.stderr


def test_environment_overrides_and_bad_environment_values():
    bad = subprocess.run([solverd_binary(), "serve", "--port", "0"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "SOLVERD_RATE_LIMITS_IP_REQUESTS": "lots"})
    assert bad.returncode == 2 and "rate_limits.ip.requests" in bad.stderr
    s = Server(env={"SOLVERD_AUTH_TOKENS": "zed:" + "0" * 64})
    try:
        assert s.get("/api/v1/sessions").status_code == 401
    finally:
        s.stop()


@pytest.mark.parametrize("args,env,key", [
    (["--cluster", "redis://x:99999"], {}, "cluster.redis_url"),
    (["--cluster", "redis://127.0.0.1:1", "--lease-ms", "5"], {}, "cluster.lease_ms"),
    (["--cluster", "redis://127.0.0.1:1", "--node-id", "bad id"], {}, "cluster.node_id"),
    ([], {"SOLVERD_CLUSTER_REDIS_URL": "rediss://x"}, "cluster.redis_url"),
    ([], {"SOLVERD_CLUSTER_EVENT_LOG_LENGTH": "3"}, "cluster.event_log_length"),
])
def test_cluster_flags_and_environment_are_validated_naming_the_key(args, env, key):
    run = subprocess.run([solverd_binary(), "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30,
                         env={**os.environ, **env})
    assert run.returncode == 2 and key in run.stderr, run.stderr


def test_config_check_reports_the_cluster_mode():
    path = write("cluster: {redis_url: 'redis://localhost:7001/1', node_id: node-a}")
    check = subprocess.run([solverd_binary(), "config", "check", path], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and "cluster redis://127.0.0.1:7001/1 as node-a" in check.stdout, check.stderr
    embedded = subprocess.run([solverd_binary(), "config", "check", path], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "SOLVERD_CLUSTER_REDIS_URL": ""})
    assert embedded.returncode == 0 and "embedded" in embedded.stdout, embedded.stderr
