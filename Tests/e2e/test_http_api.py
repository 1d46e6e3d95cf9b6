"""The HTTP API end to end: every endpoint, the example flows (docs/design.md §9), errors as JSON with the right
status."""
import copy
import json

import numpy as np
import pytest
import requests

from conftest import PLAN_MATRIX_CONSISTENT, Server, laplacian_csr, wait_for

PLAN_9_1 = {
    "matrix": {"rows": 1000, "cols": 1000, "format": "csr",
               "data": {"values": [2, -1, -1, 2, -1, -1, 2], "row_indices": [0, 0, 1, 1, 1, 2, 2],
                        "col_pointers": [0, 2, 5, 7]}},
    "vector": [1, 2, 3], "method": "hybrid", "options": {"tolerance": 1e-8, "swarm_enabled": True},
}


def create(server, matrix=PLAN_MATRIX_CONSISTENT, vector=(1, 2, 3), **extra):
    r = server.post("/api/v1/sessions", {"matrix": matrix, "vector": list(vector), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def wait_converged(server, sid):
    return wait_for(lambda: (lambda s: s if s["phase"] == "converged" else None)(server.get(f"/api/v1/status/{sid}").json()))


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error


def test_health_and_status(server):
    for path in ("/health", "/api/v1/health"):
        r = server.get(path)
        assert r.status_code == 200 and r.json()["status"] == "ok"
    status = server.get("/api/v1/status").json()
    assert status["node_id"] and "sessions" in status


def test_plan_9_1_as_written_is_rejected_naming_both_sizes(server):
    r = server.post("/api/v1/solve-stream", PLAN_9_1)
    error = assert_error(r, 422 if r.status_code == 422 else 400, "dimension_mismatch", "matrix.data.col_pointers")
    assert "1000" in error["message"] and "3" in error["message"]


def test_plan_9_1_with_three_rows_still_rejects_the_repeated_row(server):
    body = copy.deepcopy(PLAN_9_1)
    body["matrix"]["rows"] = body["matrix"]["cols"] = 3
    r = server.post("/api/v1/solve-stream", body)
    assert r.status_code in (400, 422)
    assert r.json()["error"]["code"] == "duplicate_entry"


def test_consistent_plan_example_solves_to_the_stated_solution(server):
    created = create(server)
    assert created["type"] == "session_created" and created["rows"] == 3
    sid = created["session_id"]
    wait_converged(server, sid)
    solution = server.get(f"/api/v1/sessions/{sid}/solution").json()
    np.testing.assert_allclose(solution["x"], [2.5, 4.0, 3.5], rtol=1e-7)
    part = server.get(f"/api/v1/sessions/{sid}/solution?indices=2,0").json()
    assert part["indices"] == [2, 0]
    np.testing.assert_allclose(part["values"], [3.5, 2.5], rtol=1e-7)


def test_cost_update_is_queued_in_order_and_applied(server):
    sid = create(server)["session_id"]
    wait_converged(server, sid)
    seqs = []
    for value in (1.0, 0.5):
        r = server.post("/api/v1/swarm/costs", {"session_id": sid, "delta_costs": {"indices": [0], "values": [value]},
                                                "source_node": "node-abc123"})
        assert r.status_code == 202, r.text
        assert r.json()["session_id"] == sid
        seqs.append(r.json()["seq"])
    assert seqs[0] < seqs[1]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["last_applied_seq"] == seqs[1])
    wait_converged(server, sid)
    x = server.get(f"/api/v1/sessions/{sid}/solution").json()["x"]
    a = np.array([[2, -1, 0], [-1, 2, -1], [0, -1, 2]], float)
    np.testing.assert_allclose(x, np.linalg.solve(a, [2.5, 2, 3]), rtol=1e-7)


def test_plan_9_2_out_of_range_index_names_the_field(server):
    sid = create(server)["session_id"]
    r = server.post("/api/v1/swarm/costs", {"session_id": sid, "delta_costs": {"indices": [100, 205], "values": [0.01, -0.003]}})
    assert_error(r, r.status_code, "index_out_of_range", "delta_costs.indices[0]")
    assert 400 <= r.status_code < 500


def test_old_value_mismatch_is_reported_in_events(server):
    sid = create(server)["session_id"]
    r = server.post("/api/v1/swarm/costs", {"session_id": sid,
                                            "matrix_updates": [{"row": 0, "col": 1, "old_value": 9, "new_value": 1}]})
    assert r.status_code == 202
    seq = r.json()["seq"]
    lines = requests.get(server.url(f"/api/v1/sessions/{sid}/events?since=0"), stream=True, timeout=10)
    for raw in lines.iter_lines():
        event = json.loads(raw)
        if event["type"] == "update_rejected":
            assert event["update_seq"] == seq
            assert event["error"]["code"] == "old_value_mismatch"
            break
    lines.close()


def test_verify_endpoint(server):
    sid = create(server)["session_id"]
    wait_converged(server, sid)
    r = server.post("/api/v1/verify", {"session_id": sid, "probe_count": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "verification_result" and body["verified"] is True
    assert len(body["residual_components"]) == 3
    assert_error(server.post("/api/v1/verify", {"session_id": sid, "probe_count": 101}), 422, "invalid_argument", "probe_count")


def test_session_listing_status_and_delete(server):
    sid = create(server)["session_id"]
    listed = server.get("/api/v1/sessions").json()["sessions"]
    assert any(s["session_id"] == sid for s in listed)
    status = server.get(f"/api/v1/sessions/{sid}").json()
    assert status["session_id"] == sid and status["rows"] == 3
    r = requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10)
    assert r.status_code == 200
    assert_error(server.get(f"/api/v1/status/{sid}"), 404, "session_not_found")
    assert_error(requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10), 404, "session_not_found")


MEMORY_COMPONENTS = {"matrix", "transpose", "vectors", "workspace", "preconditioner", "factor", "live_push", "events",
                     "swarm", "other"}


def test_status_breaks_memory_down_by_component(server):
    """Issue 16: `memory` sums to `memory_bytes`, in both status routes; a converged CG session holds one copy of A
    (no transpose for a symmetric matrix) and no work vectors; push state appears with the first local update."""
    side = 20
    n = side * side
    sid = create(server, matrix=laplacian_csr(side, shift=1.0), vector=[1.0] * n, method="cg",
                 options={"preconditioner": "ilu"})["session_id"]
    status = wait_converged(server, sid)
    for body in (status, server.get(f"/api/v1/sessions/{sid}").json()):
        memory = body["memory"]
        assert set(memory) == MEMORY_COMPONENTS, memory
        assert all(isinstance(v, int) and v >= 0 for v in memory.values()), memory
        assert sum(memory.values()) == body["memory_bytes"], body
    nnz = status["nnz"]
    assert memory["matrix"] >= nnz * 12 and memory["transpose"] == 0 and memory["workspace"] == 0, memory
    assert memory["preconditioner"] >= (nnz + n) // 2 * 12 and memory["vectors"] >= 4 * n * 8, memory
    assert memory["live_push"] == 0 and memory["events"] > 0, memory
    seq = server.post("/api/v1/swarm/costs", {"session_id": sid, "delta_costs": {"indices": [5], "values": [0.01]}}).json()["seq"]
    after = wait_for(lambda: (lambda s: s if s["phase"] == "converged" and s["last_applied_seq"] >= seq else None)(
        server.get(f"/api/v1/status/{sid}").json()))
    assert after["reconvergence_mode"] == "local_push" and after["memory"]["live_push"] >= 6 * n, after
    assert sum(after["memory"].values()) == after["memory_bytes"]


def test_client_supplied_session_id_and_duplicates(server):
    created = create(server, session_id="uuid-session-123")
    assert created["session_id"] == "uuid-session-123"
    r = server.post("/api/v1/sessions", {"session_id": "uuid-session-123", "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]})
    assert_error(r, 409, "duplicate_session", "session_id")


@pytest.mark.parametrize("body,code,field", [
    ("{not json", "invalid_json", None),
    ({"matrix": PLAN_MATRIX_CONSISTENT}, "missing_field", "vector"),
    ({"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2]}, "dimension_mismatch", "vector"),
    ({"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, "x"]}, "invalid_type", "vector[2]"),
    ({"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "method": "magic"}, "unsupported_method", "method"),
    ({"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "options": {"tolerance": -1}}, "invalid_argument", "options.tolerance"),
    ({"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "options": {"tolerance": "tiny"}}, "invalid_type", "options.tolerance"),
])
def test_bad_solve_requests_get_clear_errors(server, body, code, field):
    r = server.post("/api/v1/sessions", body)
    assert 400 <= r.status_code < 500, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    if field:
        assert error.get("field") == field, error


def test_unknown_endpoint_and_method(server):
    assert_error(server.get("/api/v1/nope"), 404, "not_found")
    assert_error(requests.put(server.url("/api/v1/sessions"), timeout=10), 405, "method_not_allowed")
    assert_error(server.get("/api/v1/sessions/_bad"), 422, "invalid_argument", "session_id")


def test_oversize_body_gets_413(server):
    r = requests.post(server.url("/api/v1/sessions"), data=b" " * (51 * 1024 * 1024),
                      headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 413


def test_cors_preflight_and_headers():
    # Foreign origins are refused by default (test_browser_policy.py); a configured one gets CORS headers.
    configured = Server("--cors-origin", "http://example.test")
    try:
        r = requests.options(configured.url("/api/v1/sessions"), headers={
            "origin": "http://example.test", "access-control-request-method": "POST",
            "access-control-request-headers": "content-type"}, timeout=10)
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "http://example.test"
        assert "POST" in r.headers["access-control-allow-methods"]
        r = configured.get("/api/v1/status", headers={"origin": "http://example.test"})
        assert r.headers.get("access-control-allow-origin") == "http://example.test"
    finally:
        configured.stop()


def test_metrics_exposition(server):
    r = server.get("/metrics")
    assert r.status_code == 200
    assert "solverd_sessions_active" in r.text and "solverd_updates_total" in r.text


def test_larger_system_matches_scipy(server):
    matrix = laplacian_csr(30)
    b = np.random.default_rng(1).uniform(-1, 1, 900)
    sid = create(server, matrix=matrix, vector=b.tolist(), options={"tolerance": 1e-10})["session_id"]
    wait_converged(server, sid)
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
    d = matrix["data"]
    a = sp.csr_matrix((d["values"], d["col_indices"], d["row_pointers"]), shape=(900, 900))
    x = np.array(server.get(f"/api/v1/sessions/{sid}/solution").json()["x"])
    np.testing.assert_allclose(x, spla.spsolve(a.tocsc(), b), rtol=1e-7, atol=1e-9)


def test_long_request_lines_are_answered(server):
    # lws' default 4 KiB header buffer dropped ?indices= lists of ~500 entries without an answer; 32 KiB is allowed.
    sid = create(server)["session_id"]
    wait_for(lambda: server.get(f"/api/v1/status/{sid}").json()["phase"] == "converged")
    indices = ",".join(["0", "2", "1"] * 1500)
    r = server.get(f"/api/v1/sessions/{sid}/solution?indices={indices}")
    assert len(indices) > 8000 and r.status_code == 200, r.text[:200]
    assert len(r.json()["values"]) == 4500
