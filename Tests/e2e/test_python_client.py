"""The Python client (clients/python, package solverd_client) against the real server: HTTP helpers, the async
WebSocket client, events with resume across a dropped connection, numpy/scipy inputs, typed errors."""
import asyncio
import os

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from python_client_support import CLIENT_DIR, INSTALLED, PLAN_DENSE, laplacian_scipy, run
from solverd_client import (AsyncSolverClient, DuplicateSession, InvalidRequest, SessionNotFound,  # noqa: E402
                            SolverdError, SolverdHTTP)


@pytest.fixture
def http(server):
    return SolverdHTTP(server.base)


def test_http_helpers_create_status_solution_push_verify_delete(http):
    created = http.create(PLAN_DENSE, np.array([1.0, 2.0, 3.0]))
    sid = created["session_id"]
    assert created["rows"] == 3
    http.wait_converged(sid)
    np.testing.assert_allclose(http.solution_array(sid), [2.5, 4.0, 3.5], rtol=1e-7)
    part = http.solution(sid, indices=np.array([2, 0]))
    assert part["indices"] == [2, 0]
    seq = http.push(sid, delta_indices=np.array([0]), delta_values=np.array([1.0]), source_node="test")
    assert http.wait_converged(sid, after_seq=seq)["last_applied_seq"] >= seq
    np.testing.assert_allclose(http.solution_array(sid), np.linalg.solve(PLAN_DENSE, [2, 2, 3]), rtol=1e-7)
    result = http.verify(sid, probe_count=3)
    assert result["verified"] and len(result["residual_components"]) == 3
    assert any(s["session_id"] == sid for s in http.sessions())
    assert http.status(sid)["phase"] == "converged"
    http.delete(sid)
    with pytest.raises(SessionNotFound) as missing:
        http.status(sid)
    assert missing.value.status == 404 and missing.value.code == "session_not_found"


def test_http_matrix_update_with_old_value_and_ndjson_events(http):
    sid = http.create(PLAN_DENSE, [1, 2, 3])["session_id"]
    http.wait_converged(sid)
    seq = http.push(sid, matrix_updates=[(0, 0, 3.0, 2.0)])
    http.wait_converged(sid, after_seq=seq)
    a = PLAN_DENSE.copy()
    a[0, 0] = 3.0
    np.testing.assert_allclose(http.solution_array(sid), np.linalg.solve(a, [1, 2, 3]), rtol=1e-7)
    bad = http.push(sid, matrix_updates=[{"row": 0, "col": 1, "old_value": 9.0, "new_value": 1.0}])
    for event in http.events(sid, since=0):
        if event["type"] == "update_rejected":
            assert event["update_seq"] == bad and event["error"]["code"] == "old_value_mismatch"
            break


@pytest.mark.parametrize("call,cls,code,field", [
    (lambda h, sid: h.push(sid, [100, 205], [0.01, -0.003]), InvalidRequest, "index_out_of_range", "delta_costs.indices[0]"),
    (lambda h, sid: h.create(PLAN_DENSE, [1, 2]), InvalidRequest, "dimension_mismatch", "vector"),
    (lambda h, sid: h.create(PLAN_DENSE, [1, 2, 3], method="magic"), InvalidRequest, "unsupported_method", "method"),
    (lambda h, sid: h.verify(sid, probe_count=101), InvalidRequest, "invalid_argument", "probe_count"),
    (lambda h, sid: h.create(PLAN_DENSE, [1, 2, 3], session_id=sid), DuplicateSession, "duplicate_session", "session_id"),
    (lambda h, sid: h.solution("no-such-session"), SessionNotFound, "session_not_found", "session_id"),
])
def test_http_errors_are_typed_with_code_field_and_message(http, call, cls, code, field):
    sid = http.create(PLAN_DENSE, [1, 2, 3])["session_id"]
    with pytest.raises(cls) as caught:
        call(http, sid)
    error = caught.value
    assert isinstance(error, SolverdError)
    assert (error.code, error.field) == (code, field) and error.message and 400 <= error.status < 500


def test_scipy_and_numpy_inputs(http):
    a = laplacian_scipy(12, 0.5)
    b = np.random.default_rng(3).uniform(-1, 1, a.shape[0])
    for matrix in (a.tocoo(), a.tocsc(), sp.csr_array(a), a.toarray()):
        sid = http.create(matrix, b, options={"tolerance": 1e-10})["session_id"]
        http.wait_converged(sid)
        np.testing.assert_allclose(http.solution_array(sid), spla.spsolve(a.tocsc(), b), rtol=1e-7, atol=1e-10)
        http.delete(sid)
    # COO duplicates are summed, as scipy does: two halves of the diagonal make the example matrix.
    coo = sp.coo_matrix((np.r_[[1.0] * 3, [1.0] * 3, [-1.0] * 4], (np.r_[0, 1, 2, 0, 1, 2, 0, 1, 1, 2], np.r_[0, 1, 2, 0, 1, 2, 1, 0, 2, 1])))
    sid = http.create(coo, np.array([[1.0], [2.0], [3.0]]))["session_id"]
    http.wait_converged(sid)
    np.testing.assert_allclose(http.solution_array(sid), [2.5, 4.0, 3.5], rtol=1e-7)


def test_async_create_push_verify_and_read(server):
    async def scenario():
        async with AsyncSolverClient(server.ws_url) as client:
            assert (await client.ping())["type"] == "pong"
            created = await client.create(sp.csr_matrix(PLAN_DENSE), np.array([1.0, 2.0, 3.0]))
            sid = created["session_id"]
            signal = await client.wait_converged(sid)
            assert signal["criteria"]["residual_threshold"] == 1e-8
            seqs = await asyncio.gather(*(client.push(sid, [k % 3], [0.25]) for k in range(12)))
            assert len(set(seqs)) == 12
            await client.wait_converged(sid, after_seq=max(seqs))
            x = (await client.solution(sid))["x"]
            np.testing.assert_allclose(x, np.linalg.solve(PLAN_DENSE, [2, 3, 4]), rtol=1e-7)
            verification = await client.verify(sid, probe_count=2)
            assert verification["type"] == "verification_result" and verification["verified"]
            assert (await client.status(sid))["last_applied_seq"] == max(seqs)
            with pytest.raises(InvalidRequest) as bad:
                await client.push(sid, [3], [1.0])
            assert (bad.value.code, bad.value.field) == ("index_out_of_range", "delta_costs.indices[0]")
            assert bad.value.ref is not None
            with pytest.raises(SessionNotFound):
                await client.subscribe("no-such-session")
    run(scenario())


def test_subscribe_since_seq_and_watch_indices(server, http):
    sid = http.create(PLAN_DENSE, [1, 2, 3])["session_id"]
    http.wait_converged(sid)

    async def scenario():
        async with AsyncSolverClient(server.ws_url) as client:
            replayed = []
            async for event in client.events(sid, since_seq=0, watch_indices=np.array([0, 2])):
                replayed.append(event)
                if event["type"] == "convergence_signal":
                    break
            assert replayed[0]["seq"] == 1 and [e["seq"] for e in replayed] == sorted({e["seq"] for e in replayed})
            seq = await asyncio.to_thread(http.push, sid, [1], [0.5])
            watched = []
            async for event in client.events(sid):
                if event["type"] == "iteration_update" and event["last_applied_seq"] >= seq:
                    watched.append(event["x_partial"]["indices"])
                if event["type"] == "convergence_signal" and event["last_applied_seq"] >= seq:
                    break
            assert watched and all(indices == [0, 2] for indices in watched)
            assert (await client.unsubscribe(sid))["type"] == "unsubscribed"
    run(scenario())


def test_reconnect_resumes_from_last_seq_without_gaps_or_duplicates(server, http):
    """Kills the client's socket mid-solve; the iterator continues after a reconnect with since_seq."""
    async def scenario():
        async with AsyncSolverClient(server.ws_url) as client:
            sid = (await client.create(laplacian_scipy(44, 0.01), np.ones(44 * 44), method="jacobi"))["session_id"]
            events, boundary = [], None
            async for event in client.events(sid):
                events.append(event)
                if boundary is None and sum(e["type"] == "iteration_update" for e in events) == 5:
                    boundary = client.last_seq(sid)
                    client.connection.transport.abort()  # the TCP connection dies without a close handshake
                if event["type"] == "convergence_signal":
                    break
            return sid, events, boundary, client.reconnects

    sid, events, boundary, reconnects = run(scenario())
    assert reconnects >= 1 and boundary is not None
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "duplicates or reordering"
    reference = []
    for event in http.events(sid, since=0):
        reference.append(event)
        if event["type"] == "convergence_signal":
            break
    by_seq = {e["seq"]: e for e in reference}
    # The server keeps only its newest frames for replay (frames coalesce); every other event is retained.
    assert all(by_seq[e["seq"]]["type"] == e["type"] for e in events if e["seq"] in by_seq)
    # Only coalesced iteration frames may be skipped; every other event arrives.
    assert {e["seq"] for e in reference if e["type"] != "iteration_update"} <= set(seqs)
    # The resume picked up right after the last event seen before the drop: something after it arrived, and no
    # event before the boundary came twice (checked by the strict ordering above).
    assert boundary in seqs and seqs.index(boundary) + 1 < len(seqs)
    assert events[-1]["type"] == "convergence_signal" and events[-1]["converged"]


def test_events_end_with_session_closed(server, http):
    async def scenario():
        async with AsyncSolverClient(server.ws_url) as client:
            sid = (await client.create(PLAN_DENSE, [1, 2, 3]))["session_id"]
            await client.wait_converged(sid)
            await asyncio.to_thread(http.delete, sid)
            kinds = [event["type"] async for event in client.events(sid)]
            assert kinds[-1] == "session_closed"
            with pytest.raises(SessionNotFound):
                async for _ in client.events(sid):
                    pass
    run(scenario())


def test_swarm_cost_reports_from_both_clients(server, http):
    """Two nodes report entry 0 (the default weighted_average: weights 1 and 0.5); the combined value replaces b[0]."""
    sid = http.create(PLAN_DENSE, [1, 2, 3])["session_id"]
    http.wait_converged(sid)
    http.report(sid, "node-a", [0], [4.0], confidence=1.0)

    async def second_report():
        async with AsyncSolverClient(server.ws_url) as client:
            return await client.report(sid, "node-b", np.array([0]), np.array([7.0]), confidence=0.5, propagation_depth=1)
    seq = run(second_report())
    http.wait_converged(sid, after_seq=seq)
    np.testing.assert_allclose(http.solution_array(sid), np.linalg.solve(PLAN_DENSE, [5, 2, 3]), rtol=1e-7)
    with pytest.raises(InvalidRequest) as bad:
        http.report(sid, "node-a", [0], [1.0], confidence=2)
    assert bad.value.field == "computation_confidence"


def test_imports_the_client_under_test():
    """The repository's clients/python, or (SOLVERD_CLIENT_INSTALLED=1) the wheel installed in a fresh virtualenv."""
    import solverd_client
    inside_repo = os.path.abspath(solverd_client.__file__).startswith(CLIENT_DIR + os.sep)
    assert inside_repo != INSTALLED, solverd_client.__file__
    assert solverd_client.__version__ == "0.2.0"
    assert os.path.exists(os.path.join(os.path.dirname(solverd_client.__file__), "py.typed"))
