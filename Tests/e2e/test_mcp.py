"""The MCP server end to end with the Python `mcp` client: `solverd mcp` over stdio and `/mcp` over streamable HTTP
on the service's port. Both transports expose the same tools; results are JSON objects in `structuredContent` (and
as text), errors are tool errors (`isError`) carrying the SolverError code, message and field."""
import json

import anyio
import numpy as np
import pytest
import requests
from mcp import ClientSession, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import PLAN_MATRIX_CONSISTENT, laplacian_csr, solverd_binary

PLAN_X = [2.5, 4.0, 3.5]
TOOLS = {"sublinear_solver_stream", "solver_verification", "solver_push_costs", "solver_status", "solver_solution",
         "solve", "estimate_entry", "analyze_matrix", "page_rank"}
INIT_BODY = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def run_stdio(body):
    """Runs `body(session)` against a fresh `solverd mcp` process and returns its result."""
    async def main():
        params = StdioServerParameters(command=solverd_binary(), args=["mcp"])
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)
    return anyio.run(main)


def run_http(server, body):
    """Runs `body(session)` over streamable HTTP against the shared server's `/mcp`."""
    async def main():
        async with streamable_http_client(server.url("/mcp")) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                return await body(session)
    return anyio.run(main)


async def call(session, name, arguments=None, **kw):
    """Calls a tool and returns (is_error, structured result), checking the text content carries the same JSON."""
    result = await session.call_tool(name, arguments or {}, **kw)
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content
    return bool(result.is_error), result.structured_content


async def solve_plan_example(session, **extra):
    is_error, result = await call(session, "sublinear_solver_stream",
                                  {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], **extra})
    assert not is_error, result
    return result


def plan_dense():
    return np.array([[2.0, -1, 0], [-1, 2, -1], [0, -1, 2]])


# MARK: stdio


def test_stdio_lists_the_tools_with_their_schemas():
    async def body(session):
        return (await session.list_tools()).tools
    tools = {t.name: t for t in run_stdio(body)}
    assert set(tools) == TOOLS
    stream = tools["sublinear_solver_stream"].input_schema
    assert stream["type"] == "object" and set(stream["required"]) == {"matrix", "vector"}
    assert set(stream["properties"]["method"]["enum"]) == {
        "jacobi", "gauss_seidel", "cg", "bicgstab", "neumann", "push", "hybrid",
        "minres", "gmres", "cholesky", "ldlt", "lu"}
    assert set(stream["properties"]["stream_options"]["properties"]) == {
        "real_time", "verification_enabled", "swarm_coordination"}
    assert stream["properties"]["stream_options"]["properties"]["real_time"]["default"] is True
    probe = tools["solver_verification"].input_schema["properties"]["probe_count"]
    assert (probe["minimum"], probe["maximum"]) == (1, 100)
    assert tools["solver_verification"].input_schema["required"] == ["session_id"]
    assert "session_id" not in tools["solver_status"].input_schema.get("required", [])
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"


def test_stdio_solves_the_plan_example():
    result = run_stdio(solve_plan_example)
    assert result["type"] == "solver_result"
    assert result["converged"] is True and result["phase"] == "converged"
    assert result["waited"] is True and result["timed_out"] is False
    assert result["iterations"] > 0 and result["relative_residual"] <= 1e-8
    assert result["method"] and result["session_id"]
    assert result["solution_truncated"] is False
    np.testing.assert_allclose(result["solution"], PLAN_X, rtol=1e-9)


@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel", "cg", "bicgstab", "neumann", "push"])
def test_stdio_every_method(method):
    result = run_stdio(lambda s: solve_plan_example(s, method=method, options={"max_iterations": 100000},
                                                    stream_options={"verification_enabled": False}))
    assert result["converged"] is True, result
    np.testing.assert_allclose(result["solution"], PLAN_X, rtol=1e-6)


def test_stdio_verify_push_status_and_solution_on_one_session():
    async def body(session):
        solved = await solve_plan_example(session)
        sid = solved["session_id"]
        verification = await call(session, "solver_verification", {"session_id": sid, "probe_count": 3})
        pushed = await call(session, "solver_push_costs", {
            "session_id": sid, "delta_costs": {"indices": [0], "values": [1.0]}, "wait_for_convergence": True})
        unwaited = await call(session, "solver_push_costs", {
            "session_id": sid, "matrix_updates": [{"row": 2, "col": 2, "old_value": 2, "new_value": 3}]})
        await call(session, "solver_push_costs", {
            "session_id": sid, "delta_costs": {"indices": [2], "values": [0.0]}, "wait_for_convergence": True})
        solution = await call(session, "solver_solution", {"session_id": sid})
        some = await call(session, "solver_solution", {"session_id": sid, "indices": [2, 0]})
        status = await call(session, "solver_status", {"session_id": sid})
        service = await call(session, "solver_status")
        return sid, verification, pushed, unwaited, solution, some, status, service

    sid, verification, pushed, unwaited, solution, some, status, service = run_stdio(body)
    assert verification == (False, verification[1])
    v = verification[1]
    assert v["type"] == "verification_result" and v["verified"] is True and len(v["probed_indices"]) == 3

    is_error, ack = pushed
    assert not is_error and ack["type"] == "ack" and ack["seq"] > 0
    assert ack["waited"] is True and ack["converged"] is True and ack["update_applied"] is True
    assert ack["last_applied_seq"] >= ack["seq"]

    is_error, ack2 = unwaited
    assert not is_error and ack2 == {"type": "ack", "session_id": sid, "seq": ack2["seq"], "waited": False}
    assert ack2["seq"] > ack["seq"]

    a = plan_dense()
    a[2, 2] = 3
    expected = np.linalg.solve(a, [2, 2, 3])
    is_error, x = solution
    assert not is_error and x["type"] == "solution" and x["phase"] == "converged"
    np.testing.assert_allclose(x["x"], expected, rtol=1e-6)
    is_error, part = some
    assert not is_error and part["indices"] == [2, 0]
    np.testing.assert_allclose(part["values"], expected[[2, 0]], rtol=1e-6)

    is_error, s = status
    assert not is_error and s["type"] == "session_status" and s["session_id"] == sid
    assert s["updates_applied"] == 3 and s["phase"] == "converged"
    is_error, svc = service
    assert not is_error and svc["type"] == "service_status" and svc["transport"] == "stdio"
    assert svc["session_count"] == 1 and svc["sessions"][0]["session_id"] == sid


def test_stdio_errors_are_tool_errors_naming_the_field():
    bad_matrix = {"rows": 3, "cols": 3, "data": {"values": [1, 2, 3]}}

    async def body(session):
        results = {
            "bad_matrix": await call(session, "sublinear_solver_stream", {"matrix": bad_matrix, "vector": [1, 2, 3]}),
            "bad_value": await call(session, "sublinear_solver_stream", {
                "matrix": {"rows": 2, "data": {"dense": [[1, 0], [0, "x"]]}}, "vector": [1, 2]}),
            "short_vector": await call(session, "sublinear_solver_stream",
                                       {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2]}),
            "no_matrix": await call(session, "sublinear_solver_stream", {"vector": [1, 2]}),
            "bad_method": await call(session, "sublinear_solver_stream",
                                     {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "method": "magic"}),
            "bad_stream_options": await call(session, "sublinear_solver_stream", {
                "matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "stream_options": {"real_time": "yes"}}),
            "bad_timeout": await call(session, "sublinear_solver_stream",
                                      {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3], "timeout_ms": -1}),
            "unknown_session": await call(session, "solver_verification", {"session_id": "nope"}),
            "bad_session_id": await call(session, "solver_status", {"session_id": "../x"}),
        }
        sid = (await solve_plan_example(session))["session_id"]
        results["probe_count"] = await call(session, "solver_verification", {"session_id": sid, "probe_count": 0})
        results["push_range"] = await call(session, "solver_push_costs",
                                           {"session_id": sid, "delta_costs": {"indices": [7], "values": [1]}})
        results["push_empty"] = await call(session, "solver_push_costs", {"session_id": sid})
        results["old_value"] = await call(session, "solver_push_costs", {
            "session_id": sid, "matrix_updates": [{"row": 0, "col": 0, "old_value": 5, "new_value": 3}],
            "wait_for_convergence": True})
        results["solution_index"] = await call(session, "solver_solution", {"session_id": sid, "indices": [0, 9]})
        try:
            await session.call_tool("no_such_tool", {})
            results["unknown_tool"] = None
        except MCPError as error:
            results["unknown_tool"] = str(error)
        return results

    results = run_stdio(body)
    expected = {
        "bad_matrix": ("invalid_matrix", "matrix.data"),
        "bad_value": ("invalid_type", "matrix.data.dense[1][1]"),
        "short_vector": ("dimension_mismatch", "vector"),
        "no_matrix": ("missing_field", "matrix"),
        "bad_method": ("unsupported_method", "method"),
        "bad_stream_options": ("invalid_type", "stream_options.real_time"),
        "bad_timeout": ("invalid_argument", "timeout_ms"),
        "unknown_session": ("session_not_found", "session_id"),
        "bad_session_id": ("invalid_argument", "session_id"),
        "probe_count": ("invalid_argument", "probe_count"),
        "push_range": ("index_out_of_range", "delta_costs.indices[0]"),
        "push_empty": ("missing_field", "delta_costs"),
        "old_value": ("old_value_mismatch", "matrix_updates[0].old_value"),
        "solution_index": ("index_out_of_range", "indices[1]"),
    }
    for case, (code, field) in expected.items():
        is_error, body = results[case]
        assert is_error, (case, body)
        assert body["error"]["code"] == code, (case, body)
        assert body["error"].get("field") == field, (case, body)
        assert body["error"]["message"], case
    assert results["unknown_tool"] and "no_such_tool" in results["unknown_tool"]


def test_stdio_large_system_returns_the_first_entries_and_reports_progress():
    matrix = laplacian_csr(30, shift=0.01)

    async def body(session):
        progress = []

        async def on_progress(value, total, message):
            progress.append((value, message))

        is_error, result = await call(session, "sublinear_solver_stream", {
            "matrix": matrix, "vector": [1.0] * 900, "method": "jacobi", "max_solution_entries": 10,
            "options": {"tolerance": 1e-10, "max_iterations": 200000}}, progress_callback=on_progress)
        assert not is_error, result
        is_error, solution = await call(session, "solver_solution",
                                        {"session_id": result["session_id"], "max_entries": 5})
        return result, solution, progress

    result, solution, progress = run_stdio(body)
    assert result["converged"] is True and result["rows"] == 900
    assert len(result["solution"]) == 10 and result["solution_truncated"] is True and "solver_solution" in result["note"]
    assert solution["truncated"] is True and solution["indices"] == [0, 1, 2, 3, 4] and solution["rows"] == 900
    np.testing.assert_allclose(solution["values"], result["solution"][:5], rtol=1e-12)
    assert progress, "no progress notifications"
    values = [value for value, _ in progress]
    assert values == sorted(values) and "relative residual" in progress[-1][1]


def test_stdio_timeout_zero_returns_at_once():
    result = run_stdio(lambda s: solve_plan_example(s, timeout_ms=0, session_id="mine-1"))
    assert result["waited"] is False and result["session_id"] == "mine-1"


# MARK: streamable HTTP


def test_http_tools_share_the_service_sessions(server):
    async def body(session):
        names = {t.name for t in (await session.list_tools()).tools}
        solved = await solve_plan_example(session)
        verified = await call(session, "solver_verification", {"session_id": solved["session_id"], "probe_count": 100})
        pushed = await call(session, "solver_push_costs", {
            "session_id": solved["session_id"], "delta_costs": {"indices": [1], "values": [2.0]},
            "wait_for_convergence": True, "timeout_ms": 20000})
        status = await call(session, "solver_status")
        error = await call(session, "sublinear_solver_stream",
                           {"matrix": {"rows": 3, "data": {"values": [1]}}, "vector": [1, 2, 3]})
        return names, solved, verified, pushed, status, error

    names, solved, verified, pushed, status, error = run_http(server, body)
    assert names == TOOLS
    np.testing.assert_allclose(solved["solution"], PLAN_X, rtol=1e-9)
    assert verified[0] is False and verified[1]["verified"] is True
    assert pushed[0] is False and pushed[1]["converged"] is True
    assert status[1]["transport"] == "http"
    assert solved["session_id"] in {s["session_id"] for s in status[1]["sessions"]}
    assert error[0] is True and error[1]["error"]["field"] == "matrix.data"

    # The same registry as the HTTP API: the session is there, with the pushed update applied.
    rest = requests.get(server.url(f"/api/v1/sessions/{solved['session_id']}/solution"), timeout=10).json()
    np.testing.assert_allclose(rest["x"], np.linalg.solve(plan_dense(), [1, 4, 3]), rtol=1e-6)


def test_http_session_lifecycle(server):
    url = server.url("/mcp")
    no_session = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=MCP_HEADERS,
                               timeout=10)
    assert no_session.status_code == 400 and no_session.json()["error"]["code"] == -32600

    with requests.post(url, json=INIT_BODY, headers=MCP_HEADERS, stream=True, timeout=10) as init:
        assert init.status_code == 200 and init.headers["content-type"].startswith("text/event-stream")
        sid = init.headers["mcp-session-id"]
        data = next(line for line in init.iter_lines(decode_unicode=True) if line.startswith("data: {"))
        assert json.loads(data[6:])["result"]["serverInfo"]["name"] == "solverd"

    headers = {**MCP_HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
    initialized = requests.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers,
                                timeout=10)
    assert initialized.status_code == 202
    not_acceptable = requests.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                                   headers={**headers, "accept": "text/html"}, timeout=10)
    assert not_acceptable.status_code == 406
    assert requests.put(url, data="{}", headers=headers, timeout=10).status_code == 405

    assert requests.delete(url, headers=headers, timeout=10).status_code == 200
    gone = requests.post(url, json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"}, headers=headers, timeout=10)
    assert gone.status_code == 404

    foreign = requests.post(url, json=INIT_BODY, headers={**MCP_HEADERS, "origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 403
