"""The offline commands on par with the upstream solver's CLI — `solverd generate`, `analyze`, `pagerank`, `bench`
and `estimate` — run as the real binary, checked against scipy/numpy (and networkx where installed). Usage errors
exit 2 with a message."""
import json
import os
import re
import subprocess

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
import scipy.sparse.linalg

from conftest import solverd_binary
from doc_blocks import block
from test_mcp_tools import GRAPH_EDGES, pagerank_reference


def run(*args, timeout=120):
    return subprocess.run([solverd_binary(), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def generate(tmp_path, kind, *args, name="A.mtx"):
    path = tmp_path / name
    done = run("generate", kind, "-o", path, *args)
    assert done.returncode == 0, done.stderr
    return path


# ---- generate ----------------------------------------------------------------------------------------------------

def grid_laplacian(sides, shift=0.0):
    """The (2d+1)-point Laplacian on a grid, first axis fastest, built with scipy."""
    ops = [sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(s, s)) for s in sides]
    a = sp.csr_matrix((np.prod(sides),) * 2)
    for k, op in enumerate(ops):
        term = sp.identity(1)
        for j, s in enumerate(sides):
            term = sp.kron(op if j == k else sp.identity(s), term)
        a = a + term
    return (a + shift * sp.identity(a.shape[0])).tocsr()


@pytest.mark.parametrize("kind,args,sides", [("laplacian2d", ["--size", 36], [6, 6]),
                                             ("laplacian3d", ["--side", 4, "--shift", 0.5], [4, 4, 4])])
def test_generate_laplacians_as_symmetric_matrix_market(tmp_path, kind, args, sides):
    path = generate(tmp_path, kind, *args, "--rhs", tmp_path / "b.mtx")
    assert "symmetric" in path.read_text().splitlines()[0]
    a = scipy.io.mmread(str(path)).tocsr()
    shift = 0.5 if kind == "laplacian3d" else 0.0
    assert abs(a - grid_laplacian(sides, shift)).max() == 0
    np.testing.assert_array_equal(scipy.io.mmread(str(tmp_path / "b.mtx")).ravel(), np.ones(a.shape[0]))
    general = run("generate", kind, *args, "--general")
    assert general.returncode == 0 and "general" in general.stdout.splitlines()[0]


def test_generate_random_dominant_pagerank_and_graph(tmp_path):
    a = scipy.io.mmread(str(generate(tmp_path, "random-dd", "--size", 500, "--density", 0.01, "--seed", 4))).tocsr()
    d = np.abs(a.diagonal())
    off = abs(a - sp.diags(a.diagonal()))
    assert a.shape == (500, 500) and (d > np.asarray(off.sum(axis=1)).ravel()).all()
    assert (d > np.asarray(off.sum(axis=0)).ravel()).all()
    assert 500 * 3 <= a.nnz <= 500 * 6  # about 5 off-diagonals per row plus the diagonal
    again = scipy.io.mmread(str(generate(tmp_path, "random-dd", "--size", 500, "--density", 0.01, "--seed", 4, name="B.mtx")))
    assert abs(a - again.tocsr()).max() == 0  # deterministic from the seed

    m = scipy.io.mmread(str(generate(tmp_path, "pagerank", "--size", 50, "--damping", 0.9, "--out-degree", 3,
                                     "--rhs", tmp_path / "v.mtx", name="P.mtx"))).tocsr()
    np.testing.assert_allclose(m.diagonal(), 1)
    np.testing.assert_allclose(np.asarray(m.sum(axis=0)).ravel(), 1 - 0.9)  # columns of I − d·Pᵀ
    np.testing.assert_allclose(scipy.io.mmread(str(tmp_path / "v.mtx")).ravel(), 1 / 50)

    graph = run("generate", "graph", "--size", 20, "--out-degree", 2)
    edges = [line.split() for line in graph.stdout.splitlines() if not line.startswith("#")]
    assert graph.returncode == 0 and len(edges) == 40 and all(s != t for s, t in edges)


@pytest.mark.parametrize("args,needle", [
    (["generate", "magic"], "magic"), (["generate", "random-dd", "--density", 2], "--density"),
    (["generate", "laplacian2d", "--size", 0], "--size"), (["generate", "pagerank", "--damping", 1], "--damping"),
    (["generate", "laplacian2d", "--mtx"], "--mtx"), (["generate", "graph", "--rhs", "b.mtx"], "--rhs"),
    (["analyze"], "matrix-file"), (["analyze", "x.mtx", "--tolerance", 0], "--tolerance"),
    (["pagerank", "g.txt", "--damping", -1], "--damping"), (["pagerank", "g.txt", "--top", -2], "--top"),
    (["pagerank", "g.txt", "--format", "csv"], "csv"), (["bench", "--size", 10], "--size"),
    (["estimate", "x.mtx"], "--index"),
])
def test_usage_errors_exit_2_with_a_message(args, needle):
    done = run(*args)
    assert done.returncode == 2, (args, done.returncode, done.stderr)
    assert needle in done.stderr and "Usage" in done.stderr, done.stderr


def test_generate_cannot_write(tmp_path):
    done = run("generate", "laplacian2d", "-o", tmp_path / "no" / "such" / "dir.mtx")
    assert done.returncode == 2 and "cannot write" in done.stderr


# ---- analyze -----------------------------------------------------------------------------------------------------

def analyze(path, *args):
    done = run("analyze", path, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_analyze_reports_structure_costs_and_the_hybrid_choice(tmp_path):
    spd = analyze(generate(tmp_path, "laplacian2d", "--size", 400, "--shift", 0.1))
    assert spd["symmetric"] is True and spd["definiteness"]["verdict"] == "positive_definite"
    assert spd["row_dominance"] == {"kind": "strict", "strict_fraction": 1, "weak_fraction": 1,
                                    "min_ratio": pytest.approx(4.1 / 4)}
    assert spd["gershgorin"]["lower"] == pytest.approx(0.1)
    assert spd["hybrid"]["one_shot"]["method"] in ("cholesky", "cg") and spd["hybrid"]["live"]["method_reason"]
    cg = next(m for m in spd["iterative"] if m["method"] == "cg+ic0")
    assert cg["converges"] is True and cg["predicted_iterations"] > 0 and cg["predicted_flops"] > 0
    chol = next(d for d in spd["direct"] if d["kind"] == "cholesky")
    assert chol["predicted_nnz_factor"] >= 400 + 2 * 380 and chol["ordering"]

    nonsym = analyze(generate(tmp_path, "random-dd", "--size", 300, name="R.mtx"))
    assert nonsym["symmetric"] is False and nonsym["definiteness"]["verdict"] == "not_symmetric"
    assert [d["kind"] for d in nonsym["direct"]] == ["lu"] and nonsym["hybrid"]["one_shot"]["method"] == "lu"
    walk = next(m for m in nonsym["iterative"] if m["method"] == "random_walk")
    assert walk["converges"] is True and nonsym["cholesky_attempt"]["attempted"] is False

    indefinite = tmp_path / "I.mtx"
    scipy.io.mmwrite(str(indefinite), sp.coo_matrix(np.array([[1.0, 2, 0], [2, 1, 0], [0, 0, 3]])))
    ind = analyze(indefinite)
    assert ind["definiteness"]["verdict"] == "not_positive_definite"
    assert ind["cholesky_attempt"]["succeeded"] is False and "not positive definite" in ind["cholesky_attempt"]["message"]
    assert ind["hybrid"]["one_shot"]["method"] == "ldlt"
    skipped = analyze(indefinite, "--no-cholesky")
    assert skipped["cholesky_attempt"]["attempted"] is False and skipped["definiteness"]["verdict"] == "unknown"

    mixed = tmp_path / "M.mtx"
    scipy.io.mmwrite(str(mixed), sp.coo_matrix(np.diag([2.0, -1, 3])))
    assert analyze(mixed)["definiteness"]["verdict"] == "indefinite"


def test_analyze_text_and_bad_files(tmp_path):
    text = run("analyze", generate(tmp_path, "laplacian2d", "--size", 100))
    assert text.returncode == 0, text.stderr
    labels = [line.split()[0] for line in text.stdout.splitlines() if line and not line.startswith(" ")]
    assert labels == ["matrix", "symmetry", "diagonal", "dominance", "gershgorin", "definiteness", "cholesky", "direct",
                      "iterative", "hybrid"]
    assert "positive definite" in text.stdout and "cholesky" in text.stdout
    bad = tmp_path / "bad.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 x 1\n")
    done = run("analyze", bad)
    assert done.returncode == 2 and "parse_error" in done.stderr and "line 4" in done.stderr
    rect = tmp_path / "rect.mtx"
    rect.write_text("%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n")
    assert run("analyze", rect).returncode == 2


# ---- pagerank ----------------------------------------------------------------------------------------------------

EDGE_LIST = """# a small web: src dst [weight]
alpha beta
alpha gamma 2
beta gamma   # inline comments too
gamma alpha
gamma gamma 0.5
delta gamma
delta epsilon 3
beta delta
"""
NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"]


def ranks_from_lines(stdout):
    return {node: float(rank) for node, rank in (line.split() for line in stdout.splitlines())}


def test_pagerank_edge_list_against_the_reference(tmp_path):
    path = tmp_path / "web.txt"
    path.write_text(EDGE_LIST)
    expected = pagerank_reference(5, GRAPH_EDGES)
    done = run("pagerank", path)
    assert done.returncode == 0, done.stderr
    got = ranks_from_lines(done.stdout)
    np.testing.assert_allclose([got[n] for n in NAMES], expected, rtol=1e-8)
    assert list(got) == [NAMES[i] for i in np.argsort(-expected)]  # highest first
    assert "1 dangling" in done.stderr
    top = run("pagerank", path, "--top", 2, "--method", "jacobi")
    assert list(ranks_from_lines(top.stdout)) == [NAMES[i] for i in np.argsort(-expected)[:2]]
    js = json.loads(run("pagerank", path, "--json", "--top", 3, "--damping", 0.5).stdout)
    expected_half = pagerank_reference(5, GRAPH_EDGES, damping=0.5)
    assert js["type"] == "page_rank" and js["nodes"] == 5 and js["edges"] == 8 and js["converged"] is True
    assert [t["node"] for t in js["top"]] == [NAMES[i] for i in np.argsort(-expected_half)[:3]]
    np.testing.assert_allclose([t["rank"] for t in js["top"]], np.sort(expected_half)[::-1][:3], rtol=1e-8)


def test_pagerank_matrix_market_adjacency_and_networkx(tmp_path):
    generate(tmp_path, "graph", "--size", 300, "--out-degree", 4, "--seed", 9, "--mtx", name="g.mtx")
    a = scipy.io.mmread(str(tmp_path / "g.mtx")).tocsr()
    edges = [(i, int(j), 1.0) for i in range(300) for j in a.indices[a.indptr[i]:a.indptr[i + 1]]]
    expected = pagerank_reference(300, edges)
    for method in ("push", "gauss_seidel", "bicgstab", "hybrid"):
        done = run("pagerank", tmp_path / "g.mtx", "--method", method)
        assert done.returncode == 0, (method, done.stderr)
        got = ranks_from_lines(done.stdout)
        np.testing.assert_allclose([got[str(i)] for i in range(300)], expected, rtol=1e-7, err_msg=method)
    nx = pytest.importorskip("networkx")
    reference = nx.pagerank(nx.from_scipy_sparse_array(a, create_using=nx.DiGraph), alpha=0.85, tol=1e-14, max_iter=1000)
    got = ranks_from_lines(run("pagerank", tmp_path / "g.mtx").stdout)
    np.testing.assert_allclose([got[str(i)] for i in range(300)], [reference[i] for i in range(300)], rtol=1e-7)


@pytest.mark.parametrize("text,needle", [
    ("a b\nb c -1\n", "line 2"), ("a b c d\n", "line 1"), ("# nothing\n", "no edges"), ("a b x\n", "line 1"),
])
def test_pagerank_bad_graphs_exit_2_naming_the_line(tmp_path, text, needle):
    path = tmp_path / "g.txt"
    path.write_text(text)
    done = run("pagerank", path)
    assert done.returncode == 2 and needle in done.stderr, done.stderr


# ---- bench and estimate ------------------------------------------------------------------------------------------

def test_bench_measures_this_machine():
    done = run("bench", "--size", 2500, "--changes", 3, "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    b = json.loads(done.stdout)
    assert b["type"] == "bench" and b["n"] == 2500 and int(b["machine"]["cores"]) >= 1 and b["machine"]["build"]
    assert b["spmv"]["gflops"] > 0 and b["cg"]["iterations"] > 0 and b["cg"]["relative_residual"] <= 1e-8
    assert b["cholesky"]["nnz_factor"] >= 2500 and b["cholesky"]["factor_seconds"] > 0
    assert b["push"]["median_seconds"] > 0 and b["push"]["changes"] == 3
    assert b["random_walk"]["walks_per_second"] > 0 and b["total_seconds"] > 0
    text = run("bench", "--size", 900, "--changes", 1, timeout=300)
    assert text.returncode == 0 and [line.split()[0] for line in text.stdout.splitlines()] == [
        "machine", "system", "spmv", "cg", "cholesky", "push", "random_walk", "total"]


def test_estimate_agrees_with_the_exact_solution(tmp_path):
    path = generate(tmp_path, "laplacian2d", "--size", 400, "--shift", 2, "--rhs", tmp_path / "b.mtx")
    exact = scipy.sparse.linalg.spsolve(scipy.io.mmread(str(path)).tocsc(), np.ones(400))
    done = run("estimate", path, "--index", 210, "--walks", 20000, "--json")
    assert done.returncode == 0, done.stderr
    e = json.loads(done.stdout)
    assert e["index"] == 210 and abs(e["value"] - exact[210]) <= 5 * e["standard_error"]
    text = run("estimate", path, "--index", 5, "--rhs", tmp_path / "b.mtx")
    assert text.returncode == 0 and text.stdout.startswith("x[5] ≈")
    bad = run("estimate", path, "--index", 400)
    assert bad.returncode == 2 and "index_out_of_range" in bad.stderr


# ---- the README's blocks, as printed -----------------------------------------------------------------------------

def run_block(name, tmp_path, port=None):
    text = block("README.md", name)
    if port is not None:
        text = re.sub(r"\b3000\b", str(port), text)
    env = {**os.environ, "PATH": os.path.dirname(solverd_binary()) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(["bash", "-e", "-c", text], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_command_line_block(tmp_path):
    out = run_block("cli-tools", tmp_path)
    assert "definiteness  positive definite" in out and "hybrid" in out
    assert re.search(r"^status\s+converged", out, re.M), out
    ranks = [line for line in out.splitlines() if re.fullmatch(r"\d+ [\d.e-]+", line)]
    assert len(ranks) == 5, out
    assert re.search(r"^push\s+single-entry change", out, re.M), out


def test_readme_matrix_market_body_block(tmp_path, server):
    created = json.loads(run_block("matrix-market-body", tmp_path, port=server.port))
    assert created["type"] == "session_created" and created["rows"] == 9 and created["method"].startswith("cg")
    assert server.get(f"/api/v1/sessions/{created['session_id']}").json()["nnz"] == 33
