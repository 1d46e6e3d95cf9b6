#!/usr/bin/env python3
"""make bench-direct: solverd's sparse direct solvers (CHOLMOD / KLU behind `--method cholesky|ldlt|lu` and the
hybrid choice) against scipy splu, CHOLMOD through scikit-sparse, pyamg and warm-started scipy cg, all in the same run.

Cold solves, for each system (A and a right-hand side b, written as Matrix Market files for the CLI):
  - scipy `splu(A.tocsc(), permc_spec="COLAMD")`: factor + solve (in a child process with a time limit);
  - CHOLMOD (scikit-sparse 0.4.16): `analyze` and `cholesky_inplace` timed apart, then the solve; supernodal LLᵀ
    (mode "auto") on SPD systems, simplicial LDLᵀ (mode "simplicial") on symmetric indefinite ones;
  - pyamg `smoothed_aggregation_solver(A).solve(b, tol=1e-8, accel="cg")` on symmetric systems (its failure on
    indefinite ones is recorded);
  - `solverd solve A.mtx --rhs b.mtx --method M --json` for M in hybrid, cholesky, ldlt, lu where they apply. The
    JSON's `status`, `method`, `reason`, `relative_residual`, `solve_seconds`, `load_seconds` and, when present,
    `factorization {kind, ordering, nnz_factor, predicted_bytes, analysis_seconds, factor_seconds}` are kept; a
    method the binary does not know (probed on a 3 × 3 system first) is recorded as unsupported, not run.
Systems: 2D Laplacian n = 2.5e5 and 1e6 (shift 0; n = 1e6 skipped with BENCH_DIRECT_QUICK=1), 3D Laplacian side 50
(n = 1.25e5), MATPOWER case_ACTIVSg2000 (SPD), case9241pegase and case_ACTIVSg70k (DC B′, symmetric indefinite:
negative reactances), and 2D upwind convection–diffusion n = 2.5e5 (nonsymmetric).

Live re-convergence: `solverd-bench direct --live --outage-matrix B.mtx --outage-rhs P.mtx --outage-edges f:t,…
[--sides 500]` (when the binary has it; B′ and P of case_ACTIVSg70k and three of its branches, removed one after the
other, are written here) prints one JSON object; the figures
read from it are, wherever they sit in the object, the dicts with `shift` and `n` (or `side`) and `seconds` (a
number or {median, best, …}) — the re-convergence after bench_core's 10-entry change sets of b on the 2D
Laplacian — and one dict under a key naming an entry change / outage (`entry_change`, `matrix_update`, `outage`,
…) with `seconds`, `n` (and `case`, or `runs[0].edge` + `weight`): the single A-entry change. References measured
here, in the same run, at shifts 1, 0.2, 0.05, 0 on n = 2.5e5 and 1e6: scipy cg warm-started from the previous
solution (the previous b's solution from the cached factor; rtol 1e-8, no preconditioner, as bench_core) and a cached CHOLMOD factor's re-solve `factor(b)` (factored
once, untimed). Line outage on case_ACTIVSg70k (one branch removed → 4 entries of B′ change), and on the system of
solverd-bench's outage figure when that is a 2D Laplacian (n = side², the same edge): CHOLMOD
`cholesky_inplace(A_new)` + solve, a rank-1 downdate `update_inplace(C, subtract=True)` + solve, and the cached
re-solve; solverd's figure is compared with the cached re-solve of the same system.

Targets (issue): hybrid solves every system splu solves to 1e-8 in ≤ splu's factor + solve time; live
re-convergence ≥ 20× warm cg for shift ≥ 0.2 and ≤ the best reference at every shift; a single A-entry change
≤ 3× a cached re-solve; cold factorization (analysis + factor) ≤ 1.3× CHOLMOD's. A target that cannot be measured
because the binary lacks the feature is reported as failed, with the reason in the measurement text.

Environment: SOLVERD_BIN, SOLVERD_BENCH (binaries; default .build/release/...), BENCH_DIRECT_QUICK=1 (skip n = 1e6),
BENCH_DIRECT_SPLU_TIMEOUT (s, default 90), BENCH_DIRECT_CLI_TIMEOUT (s, default 180, for hybrid and the graded direct
method), BENCH_DIRECT_EXTRA_TIMEOUT (s, default 30, the other methods), BENCH_DIRECT_LIVE_TIMEOUT (s, default 900),
BENCH_DIRECT_ONLY (comma-separated system names, and/or `live`, for a partial run).
Results: bench/results/direct-YYYYmmdd-HHMMSS.json and direct-latest.json (bench_report.finish); `make bench`
then writes bench/REPORT.md from the latest results.
"""
import json
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.linalg import splu

sys.path.insert(0, str(Path(__file__).resolve().parent))
import direct_systems as ds  # noqa: E402
from bench_core import counted_cg  # noqa: E402
from bench_report import ROOT, finish, row  # noqa: E402

TOLERANCE = 1e-8
QUICK = os.environ.get("BENCH_DIRECT_QUICK") == "1"
SPLU_TIMEOUT = float(os.environ.get("BENCH_DIRECT_SPLU_TIMEOUT", 90))
CLI_TIMEOUT = float(os.environ.get("BENCH_DIRECT_CLI_TIMEOUT", 180))
EXTRA_TIMEOUT = float(os.environ.get("BENCH_DIRECT_EXTRA_TIMEOUT", 30))
LIVE_TIMEOUT = float(os.environ.get("BENCH_DIRECT_LIVE_TIMEOUT", 900))
ONLY = {s for s in os.environ.get("BENCH_DIRECT_ONLY", "").split(",") if s}
SHIFTS = (1.0, 0.2, 0.05, 0.0)
CHANGE_SIZE = 10
OUTAGE_CASE = "case_ACTIVSg70k"


def log(message):
    print(f"bench-direct: {message}", file=sys.stderr, flush=True)


def relres(a, x, b):
    return float(np.linalg.norm(b - a @ x) / np.linalg.norm(b))


def median_time(run, repetitions=5, warm_up=1):
    for _ in range(warm_up):
        run()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "best": min(times), "samples": repetitions}


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


# ---- solverd ------------------------------------------------------------------------------------------------------

def run_cli(binary, matrix, rhs, method, timeout=CLI_TIMEOUT):
    """`solverd solve matrix --rhs rhs --method M --json`: the parsed JSON (whatever fields it has) plus exit code,
    wall time and the tail of stderr; {"error": ...} when no JSON came out."""
    argv = [binary, "solve", str(matrix), "--rhs", str(rhs), "--method", method, "--json"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method_requested": method, "error": f"timed out after {timeout:g} s", "timed_out": timeout}
    out = {"method_requested": method, "exit_code": proc.returncode, "wall_seconds": time.perf_counter() - start,
           "stderr": proc.stderr.strip()[-600:]}
    parsed = None
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            parsed = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    if isinstance(parsed, dict):
        out["json"] = parsed
    else:
        out["error"] = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}")[-400:]
    return out


def probe_methods(binary, workdir):
    """Which of the direct method names this binary accepts (a 3 × 3 SPD system; unknown → exit 2 naming --method)."""
    a = sp.csr_matrix(np.array([[4.0, -1, 0], [-1, 4, -1], [0, -1, 4]]))
    m = ds.write_mtx(Path(workdir) / "probe.mtx", a)
    v = ds.write_vector(Path(workdir) / "probe-b.mtx", np.ones(3))
    supported = {}
    for method in ("hybrid", "cholesky", "ldlt", "lu"):
        r = run_cli(binary, m, v, method, timeout=60)
        unknown = r.get("exit_code") == 2 and "method" in r.get("stderr", "").lower() and "json" not in r
        supported[method] = not unknown
        if unknown:
            log(f"{binary} does not know --method {method}: {r.get('stderr', '')[-200:]}")
    return supported


def cli_summary(r):
    """(converged, seconds, relative residual, factorization dict or None, label) from one run_cli result."""
    j = r.get("json") or {}
    status = j.get("status")
    rel = j.get("relative_residual")
    seconds = j.get("solve_seconds")
    fact = j.get("factorization") if isinstance(j.get("factorization"), dict) else None
    converged = status == "converged" and isinstance(rel, (int, float)) and rel <= TOLERANCE * 1.0000001
    label = f"{j.get('method', r.get('method_requested'))}" + (f", {status}" if status else "")
    if fact:
        label += f", {fact.get('kind', '?')}/{fact.get('ordering', '?')}"
    if r.get("error"):
        label = f"{r.get('method_requested')}: {r['error'][:120]}"
    return converged, seconds, rel, fact, label


# ---- the systems ------------------------------------------------------------------------------------------------

def system_specs():
    """(name, description, kind, builder) with kind spd | indefinite | nonsymmetric."""
    specs = [
        ("lap2d-500", "2D Laplacian 500×500 (n=2.5e5), shift 0", "spd",
         lambda: (lambda a: (a, ds.default_rhs(a.shape[0])))(ds.laplacian2d(500, 0.0))),
    ]
    if not QUICK:
        specs.append(("lap2d-1000", "2D Laplacian 1000×1000 (n=1e6), shift 0", "spd",
                      lambda: (lambda a: (a, ds.default_rhs(a.shape[0])))(ds.laplacian2d(1000, 0.0))))
    specs += [
        ("lap3d-50", "3D Laplacian 50³ (n=1.25e5), shift 0", "spd",
         lambda: (lambda a: (a, ds.default_rhs(a.shape[0])))(ds.laplacian3d(50, 0.0))),
        ("case_ACTIVSg2000", "MATPOWER case_ACTIVSg2000 DC B′ (SPD)", "spd", lambda: dc("case_ACTIVSg2000")),
        ("case9241pegase", "MATPOWER case9241pegase DC B′ (indefinite)", "indefinite", lambda: dc("case9241pegase")),
        (OUTAGE_CASE, f"MATPOWER {OUTAGE_CASE} DC B′ (indefinite)", "indefinite", lambda: dc(OUTAGE_CASE)),
        ("convdiff-500", "2D upwind convection–diffusion 500×500 (n=2.5e5), Péclet 50", "nonsymmetric",
         lambda: (lambda a: (a, ds.default_rhs(a.shape[0])))(ds.convection_diffusion2d(500))),
    ]
    return [s for s in specs if not ONLY or s[0] in ONLY]


def dc(case):
    s = ds.matpower_dc(case)
    return s.matrix, s.rhs


CLI_METHODS = {"spd": ("hybrid", "cholesky", "ldlt", "lu"), "indefinite": ("hybrid", "ldlt", "lu", "cholesky"),
               "nonsymmetric": ("hybrid", "lu")}
# The direct method each kind is graded on; the others are informational and get EXTRA_TIMEOUT (KLU on the 3D
# Laplacian, for one, takes minutes).
PRIMARY_DIRECT = {"spd": "cholesky", "indefinite": "ldlt", "nonsymmetric": "lu"}


def bench_system(spec, binary, supported, workdir):
    name, description, kind, build = spec
    log(f"{name}: building")
    a, b = build()
    info = {"name": name, "description": description, "kind": kind, "n": a.shape[0], "nnz": int(a.nnz)}
    matrix = ds.write_mtx(Path(workdir) / f"{name}.mtx", a)
    rhs = ds.write_vector(Path(workdir) / f"{name}-b.mtx", b)
    log(f"{name}: splu (COLAMD), limit {SPLU_TIMEOUT:g} s")
    info["splu"] = in_child(ref_splu, a, b, timeout=SPLU_TIMEOUT)
    if kind != "nonsymmetric":
        log(f"{name}: CHOLMOD")
        info["cholmod"] = in_child(ref_cholmod, a, b, kind == "indefinite", timeout=600)
        log(f"{name}: pyamg")
        info["pyamg"] = in_child(ref_pyamg, a, b, timeout=300)
    info["solverd"] = {}
    if binary:
        for method in CLI_METHODS[kind]:
            if not supported.get(method, False):
                info["solverd"][method] = {"method_requested": method, "unsupported": True,
                                           "error": "this solverd does not know the method"}
                continue
            primary = method in ("hybrid", PRIMARY_DIRECT[kind])
            log(f"{name}: solverd --method {method}")
            info["solverd"][method] = run_cli(binary, matrix, rhs, method,
                                              timeout=CLI_TIMEOUT if primary else EXTRA_TIMEOUT)
    for path in (matrix, rhs):
        os.unlink(path)
    return info


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


def run_live_bench(binary, extra=()):
    """`solverd-bench direct --live [extra…]`: its JSON, or {"unavailable": reason}."""
    if not binary or not os.path.exists(binary):
        return {"unavailable": f"{binary} not found"}
    argv = [binary, "direct", "--live", *extra]
    log(f"running {' '.join(map(str, argv))}")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=LIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"unavailable": f"timed out after {LIVE_TIMEOUT:g} s"}
    if proc.returncode != 0:
        return {"unavailable": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    try:
        return {**json.loads(proc.stdout.strip().splitlines()[-1]), "loadavg_after": os.getloadavg()}
    except (json.JSONDecodeError, IndexError):
        return {"unavailable": f"no JSON on stdout: {proc.stdout[-300:]!r}"}


def seconds_of(d):
    """A time in seconds from a figure dict: `seconds` (number or {median, best}), `median_seconds`, …"""
    for key in ("seconds", "median_seconds", "seconds_median", "time_seconds"):
        v = d.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        if isinstance(v, dict):
            for inner in ("median", "best"):
                if isinstance(v.get(inner), (int, float)):
                    return float(v[inner])
    return None


ENTRY_KEYS = ("entry_change", "a_entry", "matrix_update", "matrix_entry", "outage", "single_entry")


def live_figures(obj):
    """({(n, shift): {"seconds", "mode"}}, entry-change figure or None) found anywhere in solverd-bench's JSON."""
    figures, entry = {}, [None]

    def walk(node, key_path):
        if isinstance(node, dict):
            lowered = "/".join(key_path).lower()
            if entry[0] is None and any(k in lowered for k in ENTRY_KEYS) and seconds_of(node) is not None:
                runs = [r for r in node.get("runs", []) if isinstance(r, dict)]
                first = runs[0] if runs else node
                entry[0] = {"seconds": seconds_of(node), "path": "/".join(key_path),
                            "mode": node.get("mode") or node.get("reconvergence_mode") or "/".join(sorted(
                                {r.get("mode", "") for r in runs} - {""})),
                            "n": node.get("n"), "case": node.get("case"), "shift": node.get("shift"),
                            "edge": first.get("edge") or node.get("edge"),
                            "weight": first.get("weight", node.get("weight"))}
            n = node.get("n") or (node.get("side") ** 2 if isinstance(node.get("side"), int) else None)
            if isinstance(node.get("shift"), (int, float)) and n and seconds_of(node) is not None \
                    and not any(k in lowered for k in ENTRY_KEYS):
                figures.setdefault((int(n), float(node["shift"])), {
                    "seconds": seconds_of(node), "path": "/".join(key_path),
                    "mode": node.get("mode") or node.get("reconvergence_mode") or "/".join(sorted(
                        {r.get("mode", "") for r in node.get("runs", []) if isinstance(r, dict)} - {""}))})
            for k, v in node.items():
                walk(v, key_path + [str(k)])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, key_path + [str(i)])

    walk(obj, [])
    return figures, entry[0]


# ---- the table --------------------------------------------------------------------------------------------------

def cold_rows(info):
    rows = []
    name, n = info["name"], info["n"]
    head = f"{name} (n={n:,})"
    sl = info["splu"]
    splu_ok = "seconds" in sl and sl.get("relative_residual", 1) <= TOLERANCE
    if "seconds" in sl:
        rows.append(row(f"{head}: splu COLAMD factor+solve (nnz(L+U) {sl['nnz_factor']:,}, "
                        f"res {sl['relative_residual']:.1e})", sl["seconds"], "s"))
    else:
        rows.append(row(f"{head}: splu COLAMD: {sl.get('error', '?')[:100]}", None, "s"))
    ch = info.get("cholmod")
    if ch is not None:
        if "seconds" in ch:
            rows.append(row(f"{head}: CHOLMOD {ch['kind']} analyze+factor (nnz(L) {ch['nnz_factor']:,}; analyze "
                            f"{ch['analysis_seconds']:.3g} s, solve {ch['solve_seconds']:.3g} s, "
                            f"res {ch['relative_residual']:.1e})",
                            ch["analysis_seconds"] + ch["factor_seconds"], "s"))
            rows.append(row(f"{head}: CHOLMOD cached re-solve", ch["resolve"]["median"], "s"))
        else:
            rows.append(row(f"{head}: CHOLMOD: {ch.get('error', '?')[:100]}", None, "s"))
    pa = info.get("pyamg")
    if pa is not None:
        if "seconds" in pa:
            verdict = "converged" if pa["converged"] else "FAILED to converge"
            note = f"; {pa['warnings'][0][:60]}" if pa.get("warnings") else ""
            rows.append(row(f"{head}: pyamg SA + cg setup+solve ({verdict}, {pa['iterations']} it, "
                            f"res {pa['relative_residual']:.1e}{note})", pa["seconds"], "s"))
        else:
            rows.append(row(f"{head}: pyamg: {pa.get('error', '?')[:100]}", None, "s"))
    ours = info["solverd"]

    # hybrid vs splu
    hybrid = ours.get("hybrid")
    if hybrid is not None:
        converged, seconds, rel, _, label = cli_summary(hybrid)
        rows.append(row(f"{head}: solverd hybrid solve ({label}, res "
                        f"{rel if rel is None else f'{rel:.1e}'})", seconds, "s"))
        if splu_ok:
            ok = bool(converged and seconds is not None and seconds <= sl["seconds"])
            rows.append(row(f"{head}: hybrid time / splu factor+solve (hybrid converged to 1e-8: {converged})",
                            seconds / sl["seconds"] if seconds is not None else None, "×", "<= 1.0", ok))
        elif sl.get("timed_out"):
            # splu did not finish within the limit: hybrid passes if it converged within that limit.
            ok = True if converged and seconds is not None and seconds <= sl["timed_out"] else None
            rows.append(row(f"{head}: hybrid vs splu (splu > {sl['timed_out']:g} s, not finished)",
                            seconds / sl["timed_out"] if seconds is not None else None, "× limit", "<= 1.0", ok))

    # direct factorizations vs CHOLMOD
    direct = "ldlt" if info["kind"] == "indefinite" else "cholesky"
    for method in ("cholesky", "ldlt", "lu"):
        r = ours.get(method)
        if r is None:
            continue
        converged, seconds, rel, fact, label = cli_summary(r)
        if r.get("unsupported"):
            graded = method == direct and ch is not None
            rows.append(row(f"{head}: solverd --method {method}: not in this binary"
                            + (" (cold factorization vs CHOLMOD not measured)" if graded else ""), None,
                            "×" if graded else "s", "<= 1.3" if graded else None, False if graded else None))
            continue
        fact_seconds = None
        if fact and isinstance(fact.get("factor_seconds"), (int, float)):
            fact_seconds = fact["factor_seconds"] + (fact.get("analysis_seconds") or 0.0)
        extra = ""
        if fact:
            extra = (f", nnz {fact.get('nnz_factor', '?'):,}" if isinstance(fact.get("nnz_factor"), int) else "") + \
                    (f", predicted {fact['predicted_bytes'] / 2**20:.0f} MiB"
                     if isinstance(fact.get("predicted_bytes"), (int, float)) else "")
        rows.append(row(f"{head}: solverd {label}{extra} solve_seconds (res {rel if rel is None else f'{rel:.1e}'})",
                        seconds, "s"))
        if method == "cholesky" and info["kind"] == "indefinite":
            # Not a speed target: the issue asks for a refusal or a named fallback, never a converged "cholesky".
            j = r.get("json") or {}
            claimed = r.get("exit_code") == 0 and str(j.get("method", "")).startswith("cholesky")
            rows.append(row(f"{head}: solverd --method cholesky on indefinite: exit {r.get('exit_code')}, "
                            f"status {j.get('status', '?')}, method {j.get('method', '?')}, reason "
                            f"{j.get('reason', '') or r.get('stderr', '')[:80]}", None, "",
                            "refuse or fall back", not claimed))
        if method == direct and ch is not None and "seconds" in ch:
            ref = ch["analysis_seconds"] + ch["factor_seconds"]
            if fact_seconds is not None:
                rows.append(row(f"{head}: solverd {method} analysis+factor / CHOLMOD's", fact_seconds / ref, "×",
                                "<= 1.3", bool(converged and fact_seconds <= 1.3 * ref)))
            else:
                reason = r.get("error") or "no `factorization` object in the JSON"
                # Without the split, solve_seconds (factor + solve) is an upper bound on the factorization time.
                value = seconds / ref if seconds is not None else None
                ok = bool(converged and value is not None and value <= 1.3) if value is not None else False
                rows.append(row(f"{head}: solverd {method} solve_seconds / CHOLMOD analyze+factor "
                                f"({reason[:80]}; upper bound)", value, "×", "<= 1.3", ok))
    if ch is not None and direct not in ours and info["kind"] != "nonsymmetric":
        rows.append(row(f"{head}: cold factorization vs CHOLMOD: not measured (no solverd binary)", None, "×",
                        "<= 1.3", False))
    return rows


def live_rows(references, swift, outages):
    rows = []
    figures, entry = ({}, None) if "unavailable" in swift else live_figures(swift)
    missing = swift.get("unavailable") or "no figure for this n and shift in its JSON"
    for ref in references:
        n, shift = ref["n"], ref["shift"]
        cg_t, re_t = ref["warm_cg"]["median"], ref["cached_resolve"]["median"]
        best = min(cg_t, re_t)
        head = f"live n={n:,} shift={shift:g}"
        rows.append(row(f"{head}: scipy warm cg (median of {ref['sets']}, "
                        f"{statistics.median(r['iterations'] for r in ref['warm_cg']['runs']):.0f} it)", cg_t, "s"))
        rows.append(row(f"{head}: CHOLMOD cached re-solve (factor {ref['cholmod_factor_seconds']:.3g} s untimed)",
                        re_t, "s"))
        ours = figures.get((n, float(shift)))
        if ours is None:
            rows.append(row(f"{head}: solverd-bench direct --live: not measured ({missing[:90]})", None, "×",
                            ">= 20× warm cg, <= best reference" if shift >= 0.2 else "<= best reference", False))
            continue
        t = ours["seconds"]
        rows.append(row(f"{head}: solverd live re-convergence ({ours['mode'] or 'mode ?'})", t, "s"))
        if shift >= 0.2:
            rows.append(row(f"{head}: warm cg / solverd", cg_t / t, "×", ">= 20", cg_t / t >= 20))
        rows.append(row(f"{head}: solverd / best reference ({'cg' if cg_t <= re_t else 're-solve'})", t / best, "×",
                        "<= 1.0", t <= best))
    for ref in outages:
        head = f"outage {ref['system']} (edge {ref['edge']}, {len(ref['changes'])} entries)"
        re_t = ref["cached_resolve"]["median"]
        rows.append(row(f"{head}: CHOLMOD cached re-solve", re_t, "s"))
        rows.append(row(f"{head}: CHOLMOD refactor + solve (res {ref['refactor_solve']['relative_residual']:.1e})",
                        ref["refactor_solve"]["median"], "s"))
        rows.append(row(f"{head}: CHOLMOD rank-1 downdate + solve "
                        f"(res {ref['rank1_downdate_solve']['relative_residual']:.1e})",
                        ref["rank1_downdate_solve"]["median"], "s"))
        same = entry is not None and (entry.get("case") == ref.get("case") or entry.get("n") == ref["n"])
        if same:
            rows.append(row(f"{head}: solverd single A-entry change ({entry['mode'] or 'mode ?'})", entry["seconds"],
                            "s"))
            rows.append(row(f"{head}: solverd / CHOLMOD cached re-solve", entry["seconds"] / re_t, "×", "<= 3.0",
                            entry["seconds"] <= 3 * re_t))
        elif ref.get("case") == OUTAGE_CASE:
            why = swift.get("unavailable") or (
                "no entry-change figure in its JSON" if entry is None else
                f"its outage figure is on n={entry.get('n')}, not on this grid")
            rows.append(row(f"{head}: solverd single A-entry change: not measured ({why[:90]})", None, "×",
                            "<= 3× re-solve", False))
    return rows


def binary_facts(path):
    """Where a binary came from (it may be another worktree's build): path, mtime, sha256."""
    if not path or not os.path.exists(path):
        return None
    import hashlib
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"path": path, "mtime": datetime.fromtimestamp(os.path.getmtime(path)).isoformat(timespec="seconds"),
            "sha256": digest}


def versions():
    out = {"numpy": np.__version__, "scipy": scipy.__version__}
    for module in ("sksparse", "pyamg", "matpower"):
        try:
            from importlib.metadata import version
            out[module] = version({"sksparse": "scikit-sparse"}.get(module, module))
        except Exception:  # noqa: BLE001
            out[module] = "not installed"
    try:
        out["suitesparse"] = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libsuitesparse-dev"],
                                            capture_output=True, text=True).stdout
        out["blas"] = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        pass
    return out


def main():
    started = datetime.now()
    binary = os.environ.get("SOLVERD_BIN", str(ROOT / ".build" / "release" / "solverd"))
    bench_binary = os.environ.get("SOLVERD_BENCH", str(ROOT / ".build" / "release" / "solverd-bench"))
    if not os.path.exists(binary):
        log(f"{binary} not found: the solverd rows are skipped (make release)")
        binary = None
    workdir = tempfile.mkdtemp(prefix="bench-direct-")
    try:
        supported = probe_methods(binary, workdir) if binary else {}
        log(f"methods: {supported}")
        cold = [bench_system(spec, binary, supported, workdir) for spec in system_specs()]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    live_ref, outages = [], []
    if not ONLY or "live" in ONLY:
        workdir = tempfile.mkdtemp(prefix="bench-direct-")
        try:
            extra = outage_files(workdir) + (["--sides", "500"] if QUICK else [])
            live_started = time.perf_counter()
            swift_live = run_live_bench(bench_binary, extra)
            swift_live.setdefault("wall_seconds", time.perf_counter() - live_started)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if "unavailable" in swift_live:
            log(f"solverd-bench direct --live: {swift_live['unavailable']}")
        sides = (500,) if QUICK else (500, 1000)
        for side in sides:
            for shift in SHIFTS:
                # the unshifted n = 1e6 warm cg takes ~20 s a run: one change set there, three elsewhere
                sets = 1 if (side >= 1000 and shift == 0) else 3
                log(f"live references side={side} shift={shift:g} ({sets} change sets)")
                live_ref.append(in_child(live_references, side, shift, sets, timeout=900))
        log(f"outage references on {OUTAGE_CASE}")
        outages.append(in_child(outage_references, timeout=300))
        _, entry = ({}, None) if "unavailable" in swift_live else live_figures(swift_live)
        if entry and entry.get("n") and entry.get("case") != OUTAGE_CASE and entry.get("edge") \
                and int(round(entry["n"] ** 0.5)) ** 2 == entry["n"]:
            side = int(round(entry["n"] ** 0.5))
            f, t = entry["edge"][:2]
            log(f"outage references on the 2D Laplacian side={side} (solverd-bench's outage system)")
            outages.append(in_child(laplacian_outage_references, side, float(entry.get("shift") or 0.0), int(f),
                                    int(t), float(entry.get("weight") or 1.0), timeout=300))
        live_ref = [r for r in live_ref if "warm_cg" in r]
        for r in outages:
            if "cached_resolve" not in r:
                log(f"outage references failed: {r.get('error')}")
        outages = [r for r in outages if "cached_resolve" in r]
    else:
        swift_live = {"unavailable": "skipped (BENCH_DIRECT_ONLY)"}

    rows = [r for info in cold for r in cold_rows(info)] + live_rows(live_ref, swift_live, outages)
    ok = finish("direct", started, rows, binary=binary, bench_binary=bench_binary, quick=QUICK,
                binaries={"solverd": binary_facts(binary), "solverd-bench": binary_facts(bench_binary)},
                supported_methods=supported, versions=versions(), cold=cold, live_references=live_ref,
                outage_references=outages, solverd_live=swift_live,
                matpower_negative_reactance_cases=ds.matpower_negative_reactance_cases())
    total = (datetime.now() - started).total_seconds()
    log(f"done in {total:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
