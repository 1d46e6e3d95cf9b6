"""NDJSON and SSE streaming: incremental delivery, resume, until=converged, heartbeats."""
import json
import time

import requests
import sseclient

from conftest import PLAN_MATRIX_CONSISTENT, laplacian_csr, wait_for


def test_ndjson_stream_starts_with_session_created_and_ends_at_convergence(server):
    r = requests.post(server.url("/api/v1/solve-stream?until=converged"),
                      json={"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}, stream=True, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in r.iter_lines() if line]
    assert records[0]["type"] == "session_created"
    assert records[0]["rows"] == 3 and records[0]["nnz"] == 7 and records[0]["method"]
    types = [rec["type"] for rec in records]
    assert "iteration_update" in types
    assert types[-1] == "convergence_signal", types
    signal = records[-1]
    assert signal["converged"] is True
    assert signal["criteria"]["residual_threshold"] == 1e-8
    seqs = [rec["seq"] for rec in records[1:]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_ndjson_arrives_incrementally_on_a_large_system(server):
    body = {"matrix": laplacian_csr(300, shift=0.0001), "vector": [1.0] * 90000, "method": "jacobi",
            "options": {"tolerance": 1e-10, "max_iterations": 2000}}
    start = time.time()
    r = requests.post(server.url("/api/v1/solve-stream"), json=body, stream=True, timeout=60)
    lines = r.iter_lines()
    first = json.loads(next(lines))
    assert first["type"] == "session_created"
    second = json.loads(next(lines))
    first_event_at = time.time() - start
    assert second["type"] in ("iteration_update", "verification_result")
    # The solve is far from over when the first records arrive: the session is still iterating.
    status = server.get(f"/api/v1/status/{first['session_id']}").json()
    assert status["phase"] == "solving", status
    r.close()
    requests.delete(server.url(f"/api/v1/sessions/{first['session_id']}"), timeout=10)
    assert first_event_at < 30


def test_sse_stream_read_by_an_sse_client_and_resumed_with_last_event_id(server):
    sid = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}).json()["session_id"]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["phase"] == "converged")
    r = requests.get(server.url(f"/api/v1/sessions/{sid}/events?since=0"), headers={"accept": "text/event-stream"},
                     stream=True, timeout=10)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = []
    for event in sseclient.SSEClient(r).events():
        data = json.loads(event.data)
        assert event.event == data["type"] and int(event.id) == data["seq"]
        events.append((int(event.id), data))
        if data["type"] == "convergence_signal":
            break
    r.close()
    assert len(events) >= 2
    resume_after = events[0][0]
    r = requests.get(server.url(f"/api/v1/sessions/{sid}/events"),
                     headers={"accept": "text/event-stream", "last-event-id": str(resume_after)}, stream=True, timeout=10)
    resumed = []
    for event in sseclient.SSEClient(r).events():
        resumed.append(int(event.id))
        if json.loads(event.data)["type"] == "convergence_signal":
            break
    r.close()
    assert resumed == [seq for seq, _ in events[1:]]


def test_events_for_unknown_session_is_404(server):
    r = server.get("/api/v1/sessions/no-such-session/events")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "session_not_found"


def test_bad_resume_point_is_rejected(server):
    sid = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]}).json()["session_id"]
    r = server.get(f"/api/v1/sessions/{sid}/events", headers={"last-event-id": "abc"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "Last-Event-ID"
