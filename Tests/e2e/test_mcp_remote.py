"""`solverd mcp --server URL [--token T]`: the MCP stdio server working on a running `solverd serve`'s sessions over
its HTTP API. Sessions the tools create are the server's (visible through `/api/v1/sessions`), sessions created
over HTTP are reachable by the tools, and the server's errors come back as the same tool errors."""
import hashlib
import subprocess

import anyio
import numpy as np
import requests
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import PLAN_MATRIX_CONSISTENT, Server, free_port, laplacian_csr, solverd_binary
from test_mcp import PLAN_X, TOOLS, call, plan_dense

TOKEN = "agent-static-token"


def run_remote(url, body, *extra):
    """Runs `body(session)` against `solverd mcp --server URL` and returns its result."""
    async def main():
        params = StdioServerParameters(command=solverd_binary(), args=["mcp", "--server", url, *extra])
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)
    return anyio.run(main)


def test_tools_work_on_the_servers_sessions(server):
    created_over_http = server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3],
                                                         "session_id": "made-over-http"})
    assert created_over_http.status_code == 201, created_over_http.text

    async def body(session):
        names = {t.name for t in (await session.list_tools()).tools}
        progress = []

        async def on_progress(value, total, message):
            progress.append(value)

        is_error, solved = await call(session, "sublinear_solver_stream", {
            "matrix": laplacian_csr(20, shift=0.01), "vector": [1.0] * 400, "method": "jacobi",
            "session_id": "made-over-mcp", "max_solution_entries": 5,
            "options": {"tolerance": 1e-8, "max_iterations": 200000}}, progress_callback=on_progress)
        assert not is_error, solved
        # Visible to every other client of the server while the MCP client holds it.
        listed = requests.get(server.url("/api/v1/sessions"), timeout=10).json()
        pushed = await call(session, "solver_push_costs", {
            "session_id": "made-over-mcp", "delta_costs": {"indices": [0], "values": [5.0]},
            "wait_for_convergence": True, "timeout_ms": 60000})
        unwaited = await call(session, "solver_push_costs", {
            "session_id": "made-over-http", "delta_costs": {"indices": [2], "values": [1.0]}})
        verified = await call(session, "solver_verification", {"session_id": "made-over-http", "probe_count": 3})
        part = await call(session, "solver_solution", {"session_id": "made-over-mcp", "indices": [399, 0]})
        head = await call(session, "solver_solution", {"session_id": "made-over-mcp", "max_entries": 3})
        status = await call(session, "solver_status", {"session_id": "made-over-mcp"})
        service = await call(session, "solver_status")
        return names, solved, progress, listed, pushed, unwaited, verified, part, head, status, service

    names, solved, progress, listed, pushed, unwaited, verified, part, head, status, service = run_remote(server.base, body)
    assert names == TOOLS
    assert solved["converged"] is True and solved["session_id"] == "made-over-mcp" and solved["rows"] == 400, \
        {k: v for k, v in solved.items() if k != "solution"}
    assert len(solved["solution"]) == 5 and solved["solution_truncated"] is True
    assert progress, "no progress notifications relayed from the server's event stream"
    assert {"made-over-mcp", "made-over-http"} <= {s["session_id"] for s in listed["sessions"]}

    is_error, ack = pushed
    assert not is_error and ack["converged"] is True and ack["update_applied"] is True and ack["seq"] >= 1
    assert not unwaited[0] and unwaited[1]["waited"] is False and unwaited[1]["seq"] >= 1
    assert not verified[0] and verified[1]["verified"] is True and len(verified[1]["probed_indices"]) == 3
    assert part[1]["indices"] == [399, 0] and head[1]["truncated"] is True and head[1]["indices"] == [0, 1, 2]
    assert status[1]["type"] == "session_status" and status[1]["updates_applied"] == 1
    svc = service[1]
    assert svc["backend"] == server.base and svc["transport"] == "stdio"
    assert {"made-over-mcp", "made-over-http"} <= {s["session_id"] for s in svc["sessions"]}

    # The server holds the pushed update: its own API answers with x for the changed b.
    rest = requests.get(server.url("/api/v1/sessions/made-over-mcp/solution?indices=399,0"), timeout=10).json()
    np.testing.assert_allclose(rest["values"], part[1]["values"], rtol=1e-12)
    http_x = requests.get(server.url("/api/v1/sessions/made-over-http/solution"), timeout=10).json()["x"]
    assert len(http_x) == 3
    for sid in ("made-over-mcp", "made-over-http"):
        assert requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10).status_code == 200


def test_one_shot_solve_runs_on_the_server_and_leaves_nothing(server):
    before = {s["session_id"] for s in server.get("/api/v1/sessions").json()["sessions"]}

    async def body(session):
        return await call(session, "solve", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]})

    is_error, result = run_remote(server.base, body)
    assert not is_error and result["converged"] is True and result["session_closed"] is True
    np.testing.assert_allclose(result["solution"], PLAN_X, rtol=1e-9)
    after = {s["session_id"] for s in server.get("/api/v1/sessions").json()["sessions"]}
    assert after == before


def test_server_errors_are_tool_errors(server):
    server.post("/api/v1/sessions", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "session_id": "taken"})

    async def body(session):
        return {
            "unknown": await call(session, "solver_status", {"session_id": "nope"}),
            "duplicate": await call(session, "sublinear_solver_stream", {
                "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "session_id": "taken"}),
            "range": await call(session, "solver_push_costs", {
                "session_id": "taken", "delta_costs": {"indices": [9], "values": [1]}, "wait_for_convergence": True}),
            "old_value": await call(session, "solver_push_costs", {
                "session_id": "taken", "matrix_updates": [{"row": 0, "col": 0, "old_value": 7, "new_value": 3}],
                "wait_for_convergence": True}),
            "solution_index": await call(session, "solver_solution", {"session_id": "taken", "indices": [5]}),
            "local_check": await call(session, "sublinear_solver_stream", {"matrix": {"rows": 3, "data": {"values": [1]}},
                                                                           "vector": [1, 2, 3]}),
        }

    results = run_remote(server.base, body)
    expected = {
        "unknown": ("session_not_found", "session_id"),
        "duplicate": ("duplicate_session", "session_id"),
        "range": ("index_out_of_range", "delta_costs.indices[0]"),
        "old_value": ("old_value_mismatch", "matrix_updates[0].old_value"),
        "solution_index": ("index_out_of_range", "indices[0]"),
        "local_check": ("invalid_matrix", "matrix.data"),
    }
    for case, (code, field) in expected.items():
        is_error, result = results[case]
        assert is_error, (case, result)
        assert (result["error"]["code"], result["error"].get("field")) == (code, field), (case, result)
    requests.delete(server.url("/api/v1/sessions/taken"), timeout=10)


def test_token_is_sent_and_required():
    config = f"auth:\n  tokens:\n    - {{principal: agent, sha256: {hashlib.sha256(TOKEN.encode()).hexdigest()}}}\n"
    secured = Server(config=config)
    try:
        async def body(session):
            return await call(session, "solve", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]})

        is_error, ok = run_remote(secured.base, body, "--token", TOKEN)
        assert not is_error and ok["converged"] is True
        is_error, refused = run_remote(secured.base, body)
        assert is_error and refused["error"]["code"] == "unauthorized"
    finally:
        secured.stop()


def test_unreachable_server_and_bad_flags():
    async def body(session):
        return await call(session, "solver_status")

    is_error, result = run_remote(f"http://127.0.0.1:{free_port()}", body)
    assert is_error and result["error"]["code"] == "owner_unavailable" and "cannot reach" in result["error"]["message"]
    for args in (["--server", "ftp://x"], ["--server", "not a url"], ["--token", "t"]):
        bad = subprocess.run([solverd_binary(), "mcp", *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert bad.returncode == 2, (args, bad.stderr)
        assert "--server" in bad.stderr or "--token" in bad.stderr, bad.stderr


def test_in_process_and_remote_answers_agree(server):
    async def body(session):
        return await call(session, "sublinear_solver_stream", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3],
                                                               "method": "cg"})

    is_error, remote = run_remote(server.base, body)
    assert not is_error
    np.testing.assert_allclose(remote["solution"], np.linalg.solve(plan_dense(), [1, 2, 3]), rtol=1e-9)
    assert remote["method"].startswith("cg") and remote["waited"] is True and remote["timed_out"] is False
    requests.delete(server.url(f"/api/v1/sessions/{remote['session_id']}"), timeout=10)
