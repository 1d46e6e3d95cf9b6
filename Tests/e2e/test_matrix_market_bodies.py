"""Sessions created from a Matrix Market body (`Content-Type: text/x-matrix-market`) on `POST /api/v1/sessions` and
`/api/v1/solve-stream`: the matrix is the body, the rest of the request comes from the query. Bad text is a 400
`parse_error` naming the line; bad parameters name the parameter."""
import json

import numpy as np
import pytest
import requests

from test_mcp import plan_dense

MM = "text/x-matrix-market"
PLAN_GENERAL = """%%MatrixMarket matrix coordinate real general
% the README's 3x3 system
3 3 7
1 1 2
1 2 -1
2 1 -1
2 2 2
2 3 -1
3 2 -1
3 3 2
"""
PLAN_SYMMETRIC = """%%MatrixMarket matrix coordinate real symmetric
3 3 5
1 1 2
2 1 -1
2 2 2
3 2 -1
3 3 2
"""


def post_mm(server, path, text, content_type=MM, **params):
    return requests.post(server.url(path), params=params, data=text.encode(), headers={"content-type": content_type},
                         timeout=30)


def solution(server, sid):
    return requests.get(server.url(f"/api/v1/sessions/{sid}/solution"), timeout=10).json()


def wait_converged(server, sid):
    events = requests.get(server.url(f"/api/v1/sessions/{sid}/events"), params={"since": 0, "until": "converged"},
                          stream=True, timeout=30)
    records = [json.loads(line) for line in events.iter_lines() if line]
    assert records[-1]["type"] == "convergence_signal" and records[-1]["converged"] is True, records[-1]


def test_create_from_a_matrix_market_body_with_query_parameters(server):
    created = post_mm(server, "/api/v1/sessions", PLAN_GENERAL, vector="1,2,3", method="cg", tolerance="1e-10",
                      session_id="mm-query")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["type"] == "session_created" and body["session_id"] == "mm-query" and body["rows"] == 3
    assert body["nnz"] == 7 and body["method"].startswith("cg") and body["tolerance"] == 1e-10
    wait_converged(server, "mm-query")
    np.testing.assert_allclose(solution(server, "mm-query")["x"], [2.5, 4, 3.5], rtol=1e-9)
    requests.delete(server.url("/api/v1/sessions/mm-query"), timeout=10)


def test_defaults_symmetric_files_and_charset(server):
    created = post_mm(server, "/api/v1/sessions", PLAN_SYMMETRIC, content_type=f"{MM}; charset=utf-8")
    assert created.status_code == 201, created.text
    sid = created.json()["session_id"]
    assert created.json()["nnz"] == 7 and created.json()["method"]
    wait_converged(server, sid)
    np.testing.assert_allclose(solution(server, sid)["x"], np.linalg.solve(plan_dense(), np.ones(3)), rtol=1e-8)
    requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10)


def test_solve_stream_from_a_matrix_market_body(server):
    with requests.post(server.url("/api/v1/solve-stream"), params={"until": "converged", "vector": "1,2,3"},
                       data=PLAN_GENERAL.encode(), headers={"content-type": MM}, stream=True, timeout=30) as r:
        assert r.status_code == 200 and "ndjson" in r.headers["content-type"]
        records = [json.loads(line) for line in r.iter_lines() if line]
    assert records[0]["type"] == "session_created" and records[-1]["type"] == "convergence_signal"
    sid = records[0]["session_id"]
    np.testing.assert_allclose(solution(server, sid)["x"], [2.5, 4, 3.5], rtol=1e-8)
    requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10)


@pytest.mark.parametrize("text,params,status,code,field", [
    (PLAN_GENERAL.replace("2 3 -1", "2 3 minus-one"), {}, 400, "parse_error", "line 8"),
    (PLAN_GENERAL.replace("3 3 7", "3 3 8"), {}, 400, "parse_error", "line 10"),
    ("3 3 1\n1 1 1\n", {}, 400, "parse_error", "line 1"),
    (PLAN_GENERAL.replace("3 2 -1", "4 2 -1"), {}, 400, "parse_error", "line 9"),
    ("", {}, 400, "missing_field", "body"),
    (PLAN_GENERAL, {"tolerance": "tight"}, 400, "invalid_type", "tolerance"),
    (PLAN_GENERAL, {"tolerance": "2"}, 422, "invalid_argument", "tolerance"),
    (PLAN_GENERAL, {"max_iterations": "1.5"}, 400, "invalid_type", "max_iterations"),
    (PLAN_GENERAL, {"method": "magic"}, 422, "unsupported_method", "method"),
    (PLAN_GENERAL, {"vector": "1,2"}, 422, "dimension_mismatch", "vector"),
    (PLAN_GENERAL, {"vector": "1,x,3"}, 400, "invalid_type", "vector"),
    (PLAN_GENERAL, {"session_id": "../etc"}, 422, "invalid_argument", "session_id"),
    (PLAN_GENERAL, {"colour": "red"}, 422, "invalid_argument", "colour"),
])
def test_bad_bodies_and_parameters_name_the_line_or_parameter(server, text, params, status, code, field):
    r = post_mm(server, "/api/v1/sessions", text, **params)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert (error["code"], error.get("field")) == (code, field), error
    assert error["message"]
    if code == "parse_error":
        assert error["message"].startswith(field), error


def test_other_text_types_are_still_refused(server):
    r = post_mm(server, "/api/v1/sessions", PLAN_GENERAL, content_type="text/plain")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    stream = post_mm(server, "/api/v1/solve-stream", PLAN_GENERAL, content_type="application/x-www-form-urlencoded")
    assert stream.status_code == 415
