"""The websocat/curl recipes in clients/websocat run against the real server."""
import json
import os
import re
import subprocess

import numpy as np
import pytest

from conftest import ROOT

RECIPES = os.path.join(ROOT, "clients", "websocat")
PLAN_A = np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, -1.0], [0.0, -1.0, 2.0]])


def recipe(server, name, *args, ok=True):
    env = {**os.environ, "SOLVERD_URL": server.base, "TIMEOUT": "20"}
    env.pop("SOLVERD_TOKEN", None)
    done = subprocess.run([os.path.join(RECIPES, name), *args], env=env, capture_output=True, text=True, timeout=40)
    if ok:
        assert done.returncode == 0, f"{name} exited {done.returncode}: {done.stdout}\n{done.stderr}"
    return done


def records(output):
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def sid(server):
    return recipe(server, "create.sh", "-q").stdout.strip()


def test_every_recipe_is_documented():
    readme = open(os.path.join(RECIPES, "README.md")).read()
    scripts = sorted(f for f in os.listdir(RECIPES) if f.endswith(".sh") and f != "common.sh")
    assert len(scripts) >= 8
    for script in scripts:
        assert f"`{script}" in readme, f"{script} is not described in README.md"
        assert os.access(os.path.join(RECIPES, script), os.X_OK), f"{script} is not executable"


def test_solve_stream_prints_ndjson_until_converged(server):
    lines = records(recipe(server, "solve-stream.sh").stdout)
    assert lines[0]["type"] == "session_created" and lines[0]["rows"] == 3
    assert lines[-1]["type"] == "convergence_signal" and lines[-1]["converged"]
    x = server.get(f"/api/v1/sessions/{lines[0]['session_id']}/solution").json()["x"]
    np.testing.assert_allclose(x, [2.5, 4.0, 3.5], rtol=1e-7)


def test_create_over_http_and_over_websocket(server, sid):
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]*", sid)
    created = records(recipe(server, "create.sh").stdout)[0]
    assert created["type"] == "session_created" and created["method"]
    frames = records(recipe(server, "create-ws.sh").stdout)
    assert frames[0]["type"] == "session_created" and frames[0]["ref"] == "create-1"
    assert frames[-1]["type"] == "convergence_signal" and frames[-1]["converged"]


def test_subscribe_replays_from_since_seq(server, sid):
    frames = records(recipe(server, "subscribe.sh", sid, "0").stdout)
    assert frames[0]["type"] == "subscribed"
    assert frames[1]["seq"] == 1 and "iteration_update" in [f["type"] for f in frames]
    assert frames[-1]["type"] == "convergence_signal"


def test_push_costs_then_status_solution_and_verify(server, sid):
    ack = records(recipe(server, "push-costs.sh", sid).stdout)[0]
    assert ack["type"] == "ack" and ack["session_id"] == sid
    frames = records(recipe(server, "push-ws.sh", sid, "[1]", "[0.5]").stdout)
    ws_ack = next(f for f in frames if f["type"] == "ack")
    assert ws_ack["ref"] == "upd-1" and ws_ack["seq"] > ack["seq"]
    assert frames[-1]["type"] == "convergence_signal" and frames[-1]["last_applied_seq"] >= ws_ack["seq"]
    status = json.loads(recipe(server, "status.sh", sid).stdout)
    assert status["phase"] == "converged" and status["last_applied_seq"] == ws_ack["seq"]
    expected = np.linalg.solve(PLAN_A, [1.01, 2.5, 2.997])
    np.testing.assert_allclose(records(recipe(server, "solution.sh", sid).stdout)[0]["x"], expected, rtol=1e-7)
    part = records(recipe(server, "solution.sh", sid, "0,2").stdout)[0]
    assert part["indices"] == [0, 2]
    verification = records(recipe(server, "verify.sh", sid, "3").stdout)[0]
    assert verification["verified"] and len(verification["residual_components"]) == 3


def test_errors_are_printed_and_fail_the_recipe(server, sid):
    done = recipe(server, "push-costs.sh", sid, "[100, 205]", "[0.01, -0.003]", ok=False)
    assert done.returncode != 0
    error = records(done.stdout)[0]["error"]
    assert error["code"] == "index_out_of_range" and error["field"] == "delta_costs.indices[0]"
    done = recipe(server, "subscribe.sh", "no-such-session", ok=False)
    assert done.returncode == 3
    assert records(done.stdout)[-1]["code"] == "session_not_found"
    assert recipe(server, "status.sh", ok=False).returncode == 2  # usage
