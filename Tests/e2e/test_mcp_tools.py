"""The MCP tools on par with the upstream solver's (`solve`, `estimate_entry`, `analyze_matrix`, `page_rank`) over
`solverd mcp` (stdio, in-process), checked against numpy/scipy references and the matching CLI commands. Every bad
argument is a tool error naming its field."""
import json
import subprocess

import numpy as np
import pytest

from conftest import PLAN_MATRIX_CONSISTENT, laplacian_csr, solverd_binary
from test_mcp import PLAN_X, call, plan_dense, run_stdio

# A small directed graph with a dangling node (4), a self-loop (2 → 2) and weights.
GRAPH_EDGES = [(0, 1, 1.0), (0, 2, 2.0), (1, 2, 1.0), (2, 0, 1.0), (2, 2, 0.5), (3, 2, 1.0), (3, 4, 3.0), (1, 3, 1.0)]


def pagerank_reference(n, edges, damping=0.85, personalization=None):
    """networkx's power iteration (dangling nodes jump by the personalisation), in numpy."""
    w = np.zeros((n, n))
    for s, t, weight in edges:
        w[s, t] += weight
    out = w.sum(axis=1)
    v = np.ones(n) / n if personalization is None else np.asarray(personalization, float) / sum(personalization)
    p = np.divide(w, out[:, None], out=np.zeros_like(w), where=out[:, None] > 0)
    x = v.copy()
    for _ in range(10000):
        new = damping * (p.T @ x + x[out == 0].sum() * v) + (1 - damping) * v
        if np.abs(new - x).sum() < 1e-15:
            return new
        x = new
    return x


def laplacian_dense(side, shift):
    m = laplacian_csr(side, shift)["data"]
    a = np.zeros((side * side, side * side))
    for i in range(side * side):
        for k in range(m["row_pointers"][i], m["row_pointers"][i + 1]):
            a[i, m["col_indices"][k]] = m["values"][k]
    return a


def test_solve_is_one_shot_and_leaves_no_session():
    async def body(session):
        solved = await call(session, "solve", {"matrix": PLAN_MATRIX_CONSISTENT, "vector": [1, 2, 3]})
        upstream = await call(session, "solve", {"matrix": {"rows": 3, "cols": 3, "format": "dense",
                                                            "data": plan_dense().tolist()},
                                                 "vector": [1, 2, 3], "method": "cg", "epsilon": 1e-12,
                                                 "maxIterations": 50})
        big = await call(session, "solve", {"matrix": laplacian_csr(12, shift=0.1), "vector": [1.0] * 144,
                                            "max_solution_entries": 4})
        status = await call(session, "solver_status")
        return solved, upstream, big, status

    solved, upstream, big, status = run_stdio(body)
    is_error, r = solved
    assert not is_error and r["type"] == "solve_result" and r["converged"] is True and r["session_closed"] is True
    np.testing.assert_allclose(r["solution"], PLAN_X, rtol=1e-9)
    assert r["relative_residual"] <= 1e-8 and r["residual_norm"] >= 0 and r["method"] and r["method_reason"]
    is_error, u = upstream
    assert not is_error and u["method"].startswith("cg") and u["tolerance"] == 1e-12 and u["relative_residual"] <= 1e-12
    is_error, b = big
    expected = np.linalg.solve(laplacian_dense(12, 0.1), np.ones(144))
    assert not is_error and b["solution_truncated"] is True and len(b["solution"]) == 4
    np.testing.assert_allclose(b["solution"], expected[:4], rtol=1e-7)
    assert status[1]["session_count"] == 0, status


def test_estimate_entry_agrees_with_the_exact_solution_and_the_cli(tmp_path):
    matrix = laplacian_csr(10, shift=2.0)
    b = np.linspace(1, 2, 100)
    exact = np.linalg.solve(laplacian_dense(10, 2.0), b)

    async def body(session):
        one = await call(session, "estimate_entry", {"matrix": matrix, "vector": b.tolist(), "index": 55, "walks": 20000})
        upstream = await call(session, "estimate_entry", {"matrix": matrix, "vector": b.tolist(), "row": 7, "seed": 3})
        several = await call(session, "estimate_entry", {"matrix": matrix, "indices": [0, 99]})
        return one, upstream, several

    one, upstream, several = run_stdio(body)
    e = one[1]["estimates"][0]
    assert not one[0] and e["index"] == 55 and e["walks"] == 20000 and e["standard_error"] > 0
    assert abs(e["value"] - exact[55]) <= 5 * e["standard_error"] + 1e-12, (e, exact[55])
    assert e["confidence_interval"][0] < e["value"] < e["confidence_interval"][1]
    u = upstream[1]["estimates"][0]
    assert not upstream[0] and u["index"] == 7 and abs(u["value"] - exact[7]) <= 5 * u["standard_error"] + 1e-12
    ones = np.linalg.solve(laplacian_dense(10, 2.0), np.ones(100))
    got = several[1]["estimates"]
    assert [g["index"] for g in got] == [0, 99]
    for g in got:
        assert abs(g["value"] - ones[g["index"]]) <= 5 * g["standard_error"] + 1e-12


def analysis_without_timings(a):
    a = json.loads(json.dumps(a))
    for d in a["direct"]:
        d.pop("analysis_seconds", None)
    a["cholesky_attempt"].pop("seconds", None)
    return a


def test_analyze_matrix_matches_the_cli(tmp_path):
    import scipy.io
    import scipy.sparse as sp
    path = tmp_path / "plan.mtx"
    scipy.io.mmwrite(str(path), sp.coo_matrix(plan_dense()))

    async def body(session):
        return await call(session, "analyze_matrix", {"matrix": PLAN_MATRIX_CONSISTENT})

    is_error, a = run_stdio(body)
    assert not is_error and a["type"] == "matrix_analysis" and a["rows"] == 3 and a["nnz"] == 7
    assert a["symmetric"] is True and a["definiteness"]["verdict"] == "positive_definite"
    assert a["cholesky_attempt"]["attempted"] is True and a["cholesky_attempt"]["succeeded"] is True
    assert a["row_dominance"]["kind"] == "weak" and a["row_dominance"]["strict_fraction"] == pytest.approx(2 / 3)
    assert {d["kind"] for d in a["direct"]} == {"cholesky", "ldlt", "lu"}
    assert all(d["predicted_nnz_factor"] >= 5 and d["predicted_bytes"] > 0 for d in a["direct"])
    assert a["hybrid"]["one_shot"]["method"] == "cholesky" and "predicts" in a["hybrid"]["one_shot"]["method_reason"]
    assert a["gershgorin"] == {"lower": 0, "upper": 4}
    cli = subprocess.run([solverd_binary(), "analyze", str(path), "--json"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert analysis_without_timings(json.loads(cli.stdout)) == analysis_without_timings(a)


def test_page_rank_matches_the_reference_from_edges_and_adjacency():
    adjacency = np.zeros((5, 5))
    for s, t, w in GRAPH_EDGES:
        adjacency[s, t] += w
    expected = pagerank_reference(5, GRAPH_EDGES)
    personal = [1, 0, 0, 0, 1]

    async def body(session):
        edges = await call(session, "page_rank", {"edges": [list(e) for e in GRAPH_EDGES], "top": 2})
        dense = await call(session, "page_rank", {"adjacency": {"rows": 5, "cols": 5, "data": adjacency.tolist()},
                                                  "method": "jacobi", "damping": 0.85})
        upstream = await call(session, "page_rank", {"adjacency": adjacency.tolist(), "personalized": personal,
                                                     "epsilon": 1e-12, "maxIterations": 1000, "method": "gmres"})
        return edges, dense, upstream

    edges, dense, upstream = run_stdio(body)
    is_error, r = edges
    assert not is_error and r["type"] == "page_rank" and r["nodes"] == 5 and r["dangling_nodes"] == 1 and r["converged"]
    np.testing.assert_allclose(r["ranks"], expected, rtol=1e-8)
    order = np.argsort(-expected)
    assert [t["node"] for t in r["top"]] == order[:2].tolist()
    assert sum(r["ranks"]) == pytest.approx(1)
    np.testing.assert_allclose(dense[1]["ranks"], expected, rtol=1e-8)
    assert dense[1]["method"] == "jacobi"
    np.testing.assert_allclose(upstream[1]["ranks"], pagerank_reference(5, GRAPH_EDGES, personalization=personal),
                               rtol=1e-8)


def test_page_rank_matches_networkx():
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(7)
    edges = {(int(s), int(t)) for s, t in rng.integers(0, 60, size=(300, 2)) if s != t}
    weighted = [(s, t, float(rng.uniform(0.5, 2))) for s, t in sorted(edges)]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(60))
    graph.add_weighted_edges_from(weighted)
    expected = nx.pagerank(graph, alpha=0.9, tol=1e-14, max_iter=100000)

    async def body(session):
        return await call(session, "page_rank", {"edges": [list(e) for e in weighted], "nodes": 60, "damping": 0.9})

    is_error, r = run_stdio(body)
    assert not is_error, r
    np.testing.assert_allclose(r["ranks"], [expected[i] for i in range(60)], rtol=1e-7)


def test_new_tools_refuse_bad_arguments_naming_the_field():
    plan = PLAN_MATRIX_CONSISTENT
    nondominant = {"rows": 2, "cols": 2, "data": [[1, 2], [2, 1]]}
    cases = {
        "solve_no_matrix": ("solve", {"vector": [1, 2, 3]}, "missing_field", "matrix"),
        "solve_short_vector": ("solve", {"matrix": plan, "vector": [1]}, "dimension_mismatch", "vector"),
        "solve_no_wait": ("solve", {"matrix": plan, "vector": [1, 2, 3], "timeout_ms": 0}, "invalid_argument", "timeout_ms"),
        "solve_bad_method": ("solve", {"matrix": plan, "vector": [1, 2, 3], "method": "magic"}, "unsupported_method", "method"),
        "estimate_no_index": ("estimate_entry", {"matrix": plan}, "missing_field", "index"),
        "estimate_range": ("estimate_entry", {"matrix": plan, "index": 3}, "index_out_of_range", "index"),
        "estimate_indices_range": ("estimate_entry", {"matrix": plan, "indices": [0, 9]}, "index_out_of_range", "indices[1]"),
        "estimate_walks": ("estimate_entry", {"matrix": plan, "index": 0, "walks": 0}, "invalid_argument", "walks"),
        "estimate_not_dominant": ("estimate_entry", {"matrix": nondominant, "index": 0}, "not_diagonally_dominant", "matrix"),
        "analyze_no_matrix": ("analyze_matrix", {}, "missing_field", "matrix"),
        "analyze_not_square": ("analyze_matrix", {"matrix": [[1, 2, 3], [4, 5, 6]]}, "not_square", "matrix.cols"),
        "analyze_tolerance": ("analyze_matrix", {"matrix": plan, "tolerance": 2}, "invalid_argument", "tolerance"),
        "analyze_bad_layout": ("analyze_matrix", {"matrix": {"rows": 3, "data": {"values": [1]}}}, "invalid_matrix", "matrix.data"),
        "rank_no_graph": ("page_rank", {}, "missing_field", "adjacency"),
        "rank_both": ("page_rank", {"edges": [[0, 1]], "adjacency": [[0, 1], [1, 0]]}, "invalid_argument", "edges"),
        "rank_short_edge": ("page_rank", {"edges": [[0, 1], [1]]}, "invalid_argument", "edges[1]"),
        "rank_fraction_node": ("page_rank", {"edges": [[0, 1.5]]}, "invalid_type", "edges[0][1]"),
        "rank_negative_weight": ("page_rank", {"edges": [[0, 1, -2]]}, "invalid_argument", "edges[0][2]"),
        "rank_node_count": ("page_rank", {"edges": [[0, 5]], "nodes": 3}, "index_out_of_range", "edges[0]"),
        "rank_damping": ("page_rank", {"edges": [[0, 1]], "damping": 1.5}, "invalid_argument", "damping"),
        "rank_personalized": ("page_rank", {"edges": [[0, 1]], "personalized": [1]}, "dimension_mismatch", "personalized"),
        "rank_method": ("page_rank", {"edges": [[0, 1]], "method": "magic"}, "unsupported_method", "method"),
        "rank_not_square": ("page_rank", {"adjacency": [[0, 1, 1], [1, 0, 1]]}, "not_square", "adjacency"),
    }

    async def body(session):
        return {case: await call(session, tool, args) for case, (tool, args, _, _) in cases.items()}

    results = run_stdio(body)
    for case, (_, _, code, field) in cases.items():
        is_error, result = results[case]
        assert is_error, (case, result)
        assert result["error"]["code"] == code, (case, result)
        assert result["error"].get("field") == field, (case, result)
        assert result["error"]["message"], case
