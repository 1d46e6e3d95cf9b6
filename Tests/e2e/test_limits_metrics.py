"""Rate limits (429 + Retry-After, recovery, WebSocket rate_limited then 1008) and /metrics in Prometheus format."""
import asyncio
import json
import time

import pytest
import websockets
import websockets.exceptions
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from conftest import PLAN_MATRIX_CONSISTENT, Server, wait_for
from test_security import TOKENS, auth_config, bearer

SOLVE = {"type": "solve_request", "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}

LIMITED = """
rate_limits:
  ip: {requests: 3, window_seconds: 2, concurrent_connections: 2}
  principal: {requests: 1000, window_seconds: 60, concurrent_streams: 10}
  updates: {per_second: 5, bytes_per_second: 1000000}
  websocket_strikes: 3
"""


@pytest.fixture
def limited():
    s = Server(config=auth_config(LIMITED))
    yield s
    s.stop()


def test_requests_over_the_ip_budget_get_429_with_retry_after_and_recover(limited):
    headers = bearer(TOKENS["alice"])
    codes = [limited.get("/api/v1/sessions", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = limited.get("/api/v1/sessions", headers=headers)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 2
    time.sleep(retry)
    assert limited.get("/api/v1/sessions", headers=headers).status_code == 200
    assert metric_value(limited, "solverd_rejects", {"reason": "ip_requests"}) >= 1


def test_concurrent_connections_per_ip_are_limited(limited):
    async def run():
        async with websockets.connect(limited.ws_url, additional_headers=bearer(TOKENS["alice"])):
            time.sleep(0.6)  # refill one request token
            async with websockets.connect(limited.ws_url, additional_headers=bearer(TOKENS["alice"])):
                time.sleep(0.6)
                with pytest.raises(websockets.exceptions.InvalidStatus) as info:
                    async with websockets.connect(limited.ws_url, additional_headers=bearer(TOKENS["alice"])):
                        pass
                assert info.value.response.status_code == 429
    asyncio.run(run())


def test_websocket_rate_limited_frames_then_close_1008(limited):
    sid = limited.post("/api/v1/sessions", SOLVE, headers=bearer(TOKENS["alice"])).json()["session_id"]

    async def run():
        async with websockets.connect(limited.ws_url, additional_headers=bearer(TOKENS["alice"])) as ws:
            update = {"type": "cost_update", "session_id": sid, "delta_costs": {"indices": [0], "values": [0.001]}}
            for k in range(12):
                await ws.send(json.dumps({**update, "ref": str(k)}))
            kinds, codes = [], []
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    kinds.append(frame["type"])
                    codes.append(frame.get("code"))
            assert "rate_limited" in codes
            assert kinds.count("ack") == 5
            assert closed.value.rcvd.code == 1008
    asyncio.run(run())


def families(server, headers=None):
    text = server.get("/metrics", headers=headers or {}).text
    return {f.name: f for f in text_string_to_metric_families(text)}


def metric_value(server, family, labels=None):
    fam = families(server)[family]
    return sum(s.value for s in fam.samples
               if s.name in (family, family + "_total") and all(s.labels.get(k) == v for k, v in (labels or {}).items()))


def test_metrics_are_prometheus_text_with_the_expected_families_moving(fresh_server):
    before = families(fresh_server)
    for name in ("solverd_sessions_active", "solverd_iterations", "solverd_updates", "solverd_iteration_seconds",
                 "solverd_update_event_latency_seconds", "solverd_probe_seconds", "solverd_connections",
                 "solverd_bytes_received", "solverd_bytes_sent", "solverd_rejects", "solverd_http_requests"):
        assert name in before or name + "_total" in before, name
    sid = fresh_server.post("/api/v1/sessions", SOLVE).json()["session_id"]
    fresh_server.post("/api/v1/swarm/costs", {"session_id": sid, "delta_costs": {"indices": [0], "values": [1]}})
    fresh_server.post("/api/v1/verify", {"session_id": sid})

    def moved():
        return (metric_value(fresh_server, "solverd_sessions_active") >= 1
                and metric_value(fresh_server, "solverd_iterations") > 0
                and metric_value(fresh_server, "solverd_updates") >= 1
                and histogram_count(fresh_server, "solverd_iteration_seconds") > 0
                and histogram_count(fresh_server, "solverd_update_event_latency_seconds") > 0
                and histogram_count(fresh_server, "solverd_probe_seconds") > 0)
    assert wait_for(moved, timeout=10)
    assert metric_value(fresh_server, "solverd_bytes_received") > 0


def test_update_stages_are_hdr_summaries_per_stage(fresh_server):
    """Issue 16: where an update waits, stage by stage, as one Prometheus summary read off HDR histograms."""
    sid = fresh_server.post("/api/v1/sessions", SOLVE).json()["session_id"]
    # A WebSocket subscriber, so events are encoded and written (the encode and transport stages).
    with connect(fresh_server.ws_url) as ws:
        ws.send(json.dumps({"type": "subscribe", "session_id": sid}))
        assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        for k in range(5):
            answer = fresh_server.post("/api/v1/swarm/costs",
                                       {"session_id": sid, "delta_costs": {"indices": [k % 3], "values": [1]}})
            assert answer.status_code == 202, answer.text
        last_seq, seen_applied = answer.json()["seq"], 0
        while seen_applied < last_seq:  # the frame reflecting the last update reached this client
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "iteration_update":
                seen_applied = max(seen_applied, frame["last_applied_seq"])
    family = "solverd_update_stage_seconds"

    def stages():
        fam = families(fresh_server).get(family)
        if fam is None:
            return {}
        by_stage = {}
        for sample in fam.samples:
            by_stage.setdefault(sample.labels["stage"], {})[sample.name + sample.labels.get("quantile", "")] = sample.value
        return by_stage
    wanted = {"inbox", "ready_queue", "apply", "frame", "update_to_frame", "step", "slice", "encode", "transport"}
    assert wait_for(lambda: wanted <= stages().keys() and stages()["update_to_frame"][family + "_count"] >= 5,
                    timeout=10), {k: v.get(family + "_count") for k, v in stages().items()}
    seen = stages()
    assert families(fresh_server)[family].type == "summary"
    for stage, values in seen.items():
        quantiles = [values[family + q] for q in ("0.5", "0.9", "0.99", "0.999")]
        assert quantiles == sorted(quantiles) and quantiles[0] > 0, (stage, values)
        assert values[family + "_count"] >= 1 and values[family + "_sum"] > 0
    # Each update passes through the inbox once; the per-update total is at least its inbox wait.
    assert seen["inbox"][family + "_count"] == seen["update_to_frame"][family + "_count"]
    assert seen["update_to_frame"][family + "0.999"] >= seen["inbox"][family + "0.5"]
    maxima = {s.labels["stage"]: s.value for s in families(fresh_server)["solverd_update_stage_max_seconds"].samples}
    assert maxima.keys() == seen.keys() and all(v > 0 for v in maxima.values())


def histogram_count(server, family):
    fam = families(server)[family]
    return sum(s.value for s in fam.samples if s.name == family + "_count")


def test_json_logs_carry_session_ids():
    s = Server("--log-format", "json", "--log-level", "debug")
    try:
        sid = s.post("/api/v1/sessions", SOLVE).json()["session_id"]
        lines = wait_for(lambda: [json.loads(l) for l in s.log().splitlines() if sid in l])
        assert lines and lines[0]["session_id"] == sid and lines[0]["msg"] == "session created"
    finally:
        s.stop()
