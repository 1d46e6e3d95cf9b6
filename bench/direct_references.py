"""References for make bench-direct, measured in the same run as solverd: scipy splu (COLAMD), CHOLMOD through
scikit-sparse 0.4.16, pyamg smoothed aggregation, warm-started scipy cg, a cached CHOLMOD re-solve, and CHOLMOD's
refactor and rank-1 downdate after a line outage. Each heavy reference runs in a child process with a time limit,
so its memory is returned when it ends. Used by bench/bench_direct.py.
"""
import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

import direct_systems as ds
from bench_core import counted_cg
from bench_core import samples as median_time

TOLERANCE = 1e-8
CHANGE_SIZE = 10
OUTAGE_CASE = "case_ACTIVSg70k"


def log(message):
    print(f"bench-direct: {message}", file=sys.stderr, flush=True)


def relres(a, x, b):
    return float(np.linalg.norm(b - a @ x) / np.linalg.norm(b))


# ---- running a reference in a child process (time limit; its memory is returned when it ends) --------------------

def _child(queue, fn, args):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fn(*args)
        if caught:
            result.setdefault("warnings", [str(w.message).strip() for w in caught][:5])
        queue.put(result)
    except BaseException as error:  # noqa: BLE001 - reported, never raised in the parent
        queue.put({"error": f"{type(error).__name__}: {error}".strip(), "traceback": traceback.format_exc()[-800:]})


def in_child(fn, *args, timeout):
    """fn(*args) -> dict in a forked child; {"error": ...} on an exception, {"timed_out": timeout} after `timeout`."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args), daemon=True)
    start = time.perf_counter()
    proc.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception:  # queue.Empty
        result = {"timed_out": timeout, "error": f"did not finish in {timeout:g} s"}
        proc.kill()
    proc.join(10)
    result["wall_seconds"] = time.perf_counter() - start
    return result


# ---- references -----------------------------------------------------------------------------------------------

def ref_splu(a, b):
    ac = a.tocsc()
    start = time.perf_counter()
    lu = splu(ac, permc_spec="COLAMD")
    factor = time.perf_counter() - start
    start = time.perf_counter()
    x = lu.solve(b)
    solve = time.perf_counter() - start
    return {"factor_seconds": factor, "solve_seconds": solve, "seconds": factor + solve,
            "nnz_factor": int(lu.L.nnz + lu.U.nnz), "relative_residual": relres(a, x, b)}


def ref_cholmod(a, b, indefinite):
    import sksparse.cholmod as cholmod
    ac = a.tocsc()
    mode = "simplicial" if indefinite else "auto"
    out = {"mode": mode, "kind": "LDLt (simplicial)" if indefinite else "LLt (auto: supernodal when worth it)"}
    if indefinite:
        # What the supernodal LLᵀ does with it (recorded, not timed as the reference).
        try:
            cholmod.cholesky(ac, mode="supernodal")
            out["supernodal_llt"] = "factored"
        except Exception as error:  # noqa: BLE001
            out["supernodal_llt"] = f"{type(error).__name__}: {error}"
    start = time.perf_counter()
    factor = cholmod.analyze(ac, mode=mode)
    out["analysis_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    factor.cholesky_inplace(ac)
    out["factor_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    x = factor(b)
    out["solve_seconds"] = time.perf_counter() - start
    out["seconds"] = out["analysis_seconds"] + out["factor_seconds"] + out["solve_seconds"]
    out["relative_residual"] = relres(a, x, b)
    out["resolve"] = median_time(lambda: factor(b), 5)
    if indefinite:
        d = factor.D()
        out["negative_pivots"] = int(np.sum(d < 0))
    # L() would convert an LDLᵀ factor to LLᵀ (and fail on an indefinite one); LD() keeps it (D on the diagonal).
    out["nnz_factor"] = int(factor.LD().nnz if indefinite else factor.L().nnz)
    return out


def ref_pyamg(a, b):
    import pyamg
    start = time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(a)
    setup = time.perf_counter() - start
    residuals = []
    start = time.perf_counter()
    x = ml.solve(b, tol=TOLERANCE, accel="cg", residuals=residuals, maxiter=500)
    solve = time.perf_counter() - start
    r = relres(a, x, b)
    return {"setup_seconds": setup, "solve_seconds": solve, "seconds": setup + solve, "iterations": len(residuals) - 1,
            "relative_residual": r, "converged": bool(r <= TOLERANCE * 1.01)}


# ---- live re-convergence references -----------------------------------------------------------------------------

def change_set(set_index, side):
    """ReconvergenceBenchmark.changeSet(_:side:): 10 cells on a 5 × 2 lattice, shifted per set; deltas 0.1 … 1.0."""
    indices, deltas = [], []
    for j in range(CHANGE_SIZE):
        gx = (side * (2 * (j % 5) + 1) // 10 + 3 * set_index) % side
        gy = (side * (2 * (j // 5) + 1) // 4 + 5 * set_index) % side
        indices.append(gy * side + gx)
        deltas.append((j + 1) / 10)
    return indices, deltas


def live_references(side, shift, sets):
    """Warm cg and the cached CHOLMOD re-solve after `sets` accumulating change sets (b starts all ones)."""
    import sksparse.cholmod as cholmod
    a = ds.laplacian2d(side, shift)
    b = np.ones(a.shape[0])
    start = time.perf_counter()
    factor = cholmod.cholesky(a.tocsc())
    factor_seconds = time.perf_counter() - start
    x = factor(b)
    cg_runs, resolve_runs = [], []
    for s in range(sets):
        indices, deltas = change_set(s, side)
        b[np.array(indices)] += np.array(deltas)
        start = time.perf_counter()
        x_cg, iterations, info = counted_cg(a, b, x0=x)
        cg_runs.append({"seconds": time.perf_counter() - start, "iterations": iterations, "info": info,
                        "relative_residual": relres(a, x_cg, b)})
        timing = median_time(lambda: factor(b), 3, warm_up=1)
        x = factor(b)
        resolve_runs.append({"seconds": timing["median"], "relative_residual": relres(a, x, b)})
    cg_times = [r["seconds"] for r in cg_runs]
    re_times = [r["seconds"] for r in resolve_runs]
    return {"n": a.shape[0], "side": side, "shift": shift, "sets": sets, "cholmod_factor_seconds": factor_seconds,
            "loadavg": os.getloadavg(),
            "warm_cg": {"median": statistics.median(cg_times), "best": min(cg_times), "runs": cg_runs},
            "cached_resolve": {"median": statistics.median(re_times), "best": min(re_times), "runs": resolve_runs}}


def edge_removal_references(a, b, f, t, w, mode):
    """A = B′ or a Laplacian, edge (f, t) of weight w removed (A_ff −= w, A_tt −= w, A_ft = A_tf = 0 when it was
    the only edge): CHOLMOD's cached re-solve of A, refactor (`cholesky_inplace` on A's pattern less the removed
    pair, within the analysed structure) + solve of A_new,
    and a rank-1 downdate (`update_inplace(√w (e_f − e_t), subtract=True)`) + solve."""
    import sksparse.cholmod as cholmod
    a = ds.finish_csr(a)
    d = np.zeros(a.shape[0])
    d[f], d[t] = 1.0, -1.0
    delta = sp.csr_matrix(-w * np.outer(d[[f, t]], d[[f, t]]))
    a_new = a.tolil(copy=True)
    changes = []
    for (i, r), (j, c) in ((p, q) for p in enumerate((f, t)) for q in enumerate((f, t))):
        old = float(a_new[r, c])
        a_new[r, c] = old + delta[i, j]
        changes.append((int(r), int(c), old, float(a_new[r, c])))
    a_new = ds.finish_csr(a_new)
    a_new_csc = a_new.tocsc()
    factor = cholmod.cholesky(a.tocsc(), mode=mode)
    resolve = median_time(lambda: factor(b), 7)
    refactored = factor.copy()

    def refactor():
        refactored.cholesky_inplace(a_new_csc)
        return refactored(b)
    refactor_timing = median_time(refactor, 5)
    x_refactor = refactor()
    c = sp.csc_matrix(np.sqrt(w) * d.reshape(-1, 1))
    times = []
    for _ in range(5):
        g = factor.copy()  # the copy is not timed
        start = time.perf_counter()
        g.update_inplace(c, subtract=True)
        x_update = g(b)
        times.append(time.perf_counter() - start)
    return {"n": a.shape[0], "edge": [int(f), int(t)], "weight": float(w), "changes": changes, "mode": mode,
            "cached_resolve": resolve,
            "refactor_solve": {**refactor_timing, "relative_residual": relres(a_new, x_refactor, b)},
            "rank1_downdate_solve": {"median": statistics.median(times), "best": min(times), "samples": len(times),
                                     "relative_residual": relres(a_new, x_update, b)}}


OUTAGE_BRANCHES = 3


def outage_files(workdir, case=OUTAGE_CASE):
    """B′ and P of `case` as Matrix Market files and the outage edges (`interior_branches`, removed one after the
    other) for `solverd-bench direct --outage-matrix A --outage-rhs b --outage-edges f:t,…`."""
    system = ds.matpower_dc(case)
    branches = system.interior_branches(OUTAGE_BRANCHES)
    matrix = ds.write_mtx(Path(workdir) / f"{case}.mtx", system.matrix)
    rhs = ds.write_vector(Path(workdir) / f"{case}-b.mtx", system.rhs)
    edges = ",".join(f"{int(system.branches[k][0])}:{int(system.branches[k][1])}" for k in branches)
    return ["--outage-matrix", matrix, "--outage-rhs", rhs, "--outage-edges", edges]


def outage_references(case=OUTAGE_CASE):
    """A line outage on a MATPOWER grid: the first of the branches `outage_files` passes to solverd-bench (between
    two non-reference buses, no parallel twin, grid stays connected) is taken out: 4 entries of B′ change. LDLᵀ
    (simplicial) since B′ is indefinite."""
    system = ds.matpower_dc(case)
    k = system.interior_branches(OUTAGE_BRANCHES)[0]
    f, t = (int(v) for v in system.branches[k])
    out = edge_removal_references(system.matrix, system.rhs, f, t, float(system.weights[k]), "simplicial")
    return {"case": case, "system": f"{case} DC B′", "branch": int(k), **out}


def laplacian_outage_references(side, shift, f, t, w):
    """The same on the 2D Laplacian (what `solverd-bench direct --live` measures when its outage has n = side²)."""
    a = ds.laplacian2d(side, shift)
    out = edge_removal_references(a, np.ones(a.shape[0]), f, t, w, "auto")
    return {"case": f"laplacian2d({side}, {shift:g})", "system": f"2D Laplacian {side}×{side} shift {shift:g}",
            "branch": None, **out}
