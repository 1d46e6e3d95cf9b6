#!/usr/bin/env python3
"""make bench-core: runs `solverd-bench core` and the scipy equivalents in the same run, prints ratios.

The binary comes from $SOLVERD_BENCH (default .build/release/solverd-bench). Both sides build the same matrix,
the 5-point Laplacian on a side x side grid (Dirichlet) plus a diagonal shift, as CSR float64 with int32 indices.
Ratios are medians against medians; the machine is shared, so only the ratios of one run are comparable.
Results go to bench/results/core-YYYYmmdd-HHMMSS.json and bench/results/core-latest.json.
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.linalg import cg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TOLERANCE = 1e-8


def laplacian2d(side, shift):
    """Same matrix as MatrixGenerators.laplacian2D(side:shift:)."""
    t = sp.diags([-np.ones(side - 1), 2 * np.ones(side), -np.ones(side - 1)], [-1, 0, 1])
    eye = sp.identity(side)
    a = (sp.kron(eye, t) + sp.kron(t, eye) + shift * sp.identity(side * side)).tocsr()
    a.sort_indices()
    a.indices = a.indices.astype(np.int32)
    a.indptr = a.indptr.astype(np.int32)
    return a


def samples(run, repetitions, warm_up=1):
    """Runs `run` warm_up + repetitions times; returns {best, median, samples} of the timed runs in seconds."""
    for _ in range(warm_up):
        run()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"best": min(times), "median": statistics.median(times), "samples": repetitions}


def scaled(stats, factor):
    return {"best": stats["best"] * factor, "median": stats["median"] * factor, "samples": stats["samples"]}


def rate(stats, count):
    """A rate from time samples; the best rate comes from the fastest run."""
    return {"best": count / stats["best"], "median": count / stats["median"], "samples": stats["samples"]}


def counted_cg(a, b, x0=None, rtol=TOLERANCE, maxiter=100_000):
    """scipy cg (no preconditioner) with an iteration counter; returns (x, iterations, info)."""
    iterations = [0]

    def callback(_):
        iterations[0] += 1

    x, info = cg(a, b, x0=x0, rtol=rtol, atol=0.0, maxiter=maxiter, callback=callback)
    return x, iterations[0], info


def bench_spmv(side, products=10):
    a = laplacian2d(side, 0.0)
    x = np.random.default_rng(3).uniform(-1, 1, a.shape[0])

    def run():
        for _ in range(products):
            a @ x

    return {"n": a.shape[0], "nnz": a.nnz, "seconds_per_product": scaled(samples(run, 9, 2), 1 / products)}


def bench_cg(side, shift, fixed_iterations):
    a = laplacian2d(side, shift)
    b = np.ones(a.shape[0])
    fixed = samples(lambda: counted_cg(a, b, rtol=1e-300, maxiter=fixed_iterations), 3)
    _, iterations, _ = counted_cg(a, b, rtol=1e-300, maxiter=fixed_iterations)
    assert iterations == fixed_iterations, f"cg stopped after {iterations} iterations"
    cold = samples(lambda: counted_cg(a, b), 3, warm_up=0)
    x, cold_iterations, info = counted_cg(a, b)
    return {
        "fixed_iterations": fixed_iterations,
        "iterations_per_second": rate(fixed, fixed_iterations),
        "cold_solve": {"seconds": cold, "iterations": cold_iterations, "info": info,
                       "true_relative_residual": float(np.linalg.norm(b - a @ x) / np.linalg.norm(b))},
    }


def bench_reconvergence(swift_case):
    """Warm-started cg after the same accumulating change sets the Swift side applied (read from its JSON)."""
    side, shift = swift_case["side"], swift_case["shift"]
    a = laplacian2d(side, shift)
    b = np.ones(a.shape[0])
    x, initial, _ = counted_cg(a, b)
    runs = []
    for change in swift_case["runs"]:
        b[np.array(change["indices"])] += np.array(change["deltas"])
        start = time.perf_counter()
        x, iterations, info = counted_cg(a, b, x0=x)
        runs.append({"seconds": time.perf_counter() - start, "iterations": iterations, "info": info})
    times = [run["seconds"] for run in runs]
    return {"n": a.shape[0], "side": side, "initial_cg_iterations": initial, "runs": runs,
            "seconds": {"best": min(times), "median": statistics.median(times), "samples": len(times)}}


def bench_full_solve(swift_case):
    """What a user without single-coordinate estimates pays: cg on the whole system (rtol 1e-8)."""
    a = laplacian2d(swift_case["side"], swift_case["shift"])
    b = np.ones(a.shape[0])
    stats = samples(lambda: counted_cg(a, b), 5)
    x, iterations, _ = counted_cg(a, b, rtol=1e-12)
    return {"n": a.shape[0], "seconds": stats, "iterations": iterations, "x_index": float(x[swift_case["index"]])}


def bench_updates(side, shift, count=1_000_000):
    """Single-entry updates as a Python service would apply them: `b[i] += d` and `A.data[k] = v` in a Python loop
    (no residual is maintained, so this is a lower bound on what the Python side would really pay)."""
    a = laplacian2d(side, shift)
    b = np.ones(a.shape[0])
    rng = np.random.default_rng(11)
    rows = rng.integers(0, a.shape[0], count).tolist()
    positions = rng.integers(0, a.nnz, count).tolist()
    values = (rng.random(count) * 1e-3).tolist()
    data = a.data

    def rhs():
        for i, d in zip(rows, values):
            b[i] += d

    def entries():
        for k, v in zip(positions, values):
            data[k] = v

    def alternating():
        for u in range(0, count, 2):
            b[rows[u]] += values[u]
            data[positions[u + 1]] = values[u + 1]

    return {
        "updates_per_sample": count,
        "rhs_updates_per_second": rate(samples(rhs, 3), count),
        "entry_updates_per_second": rate(samples(entries, 3), count),
        "updates_per_second": rate(samples(alternating, 3), count),
        "note": "numpy b[i] += d and A.data[k] = v in a Python loop; no residual or norm is maintained",
    }


def machine_info():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "unknown", None
    return {
        "cpu_model": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__, "git_commit": commit, "git_dirty": dirty,
        "platform": platform.platform(),
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                           "OMP_NUM_THREADS") if k in os.environ},
    }


def run_swift(binary):
    print(f"running {binary} core", file=sys.stderr)
    out = subprocess.run([binary, "core"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def run_scipy(swift):
    side, shift = swift["cg"]["side"], swift["cg"]["shift"]
    print("scipy: spmv, cg", file=sys.stderr)
    result = {"spmv": bench_spmv(swift["spmv"]["side"]),
              "cg": bench_cg(side, shift, swift["cg"]["fixed_iterations"])}
    print("scipy: warm-started cg after the change sets", file=sys.stderr)
    for key in ("reconvergence", "reconvergence_dominant"):
        result[key] = [bench_reconvergence(case) for case in swift[key]]
    print("scipy: full solves for the estimate systems", file=sys.stderr)
    result["full_solve"] = [bench_full_solve(case) for case in swift["estimate"]]
    print("scipy: single-entry updates in Python", file=sys.stderr)
    result["updates"] = bench_updates(side, shift)
    return result


def compare(swift, scipy_side):
    """Rows: (measurement, solverd, scipy, ratio, target, passed); ratio > 1 means solverd is better."""
    rows = []

    def row(name, ours, theirs, ratio, target=None, passed=None):
        rows.append({"measurement": name, "solverd": ours, "scipy": theirs, "ratio": ratio, "target": target,
                     "passed": passed})

    ours, theirs = swift["spmv"], scipy_side["spmv"]
    t_seq, t_par = ours["sequential_seconds_per_product"]["median"], ours["concurrent_seconds_per_product"]["median"]
    t_sp = theirs["seconds_per_product"]["median"]
    row("SpMV n=1e6 s/product (1 thread)", t_seq, t_sp, t_sp / t_seq, ">= 1.0x", t_sp / t_seq >= 1.0)
    row(f"SpMV n=1e6 s/product ({ours['concurrent_width']} threads)", t_par, t_sp, t_sp / t_par)

    ours, theirs = swift["cg"], scipy_side["cg"]
    r_seq, r_sp = ours["iterations_per_second"]["median"], theirs["iterations_per_second"]["median"]
    r_par = ours["iterations_per_second_concurrent"]["median"]
    row("CG n=1e6 iterations/s (1 thread)", r_seq, r_sp, r_seq / r_sp, ">= 1.5x", r_seq / r_sp >= 1.5)
    row("CG n=1e6 iterations/s (2 threads)", r_par, r_sp, r_par / r_sp)
    c_ours, c_sp = ours["cold_solve"]["seconds"]["median"], theirs["cold_solve"]["seconds"]["median"]
    row(f"CG n=1e6 cold solve to 1e-8, s (iterations {ours['cold_solve']['iterations']} vs "
        f"{theirs['cold_solve']['iterations']})", c_ours, c_sp, c_sp / c_ours)

    for key, target_applies in (("reconvergence", True), ("reconvergence_dominant", False)):
        own = {}
        for case, sp_case in zip(swift[key], scipy_side[key]):
            t_ours, t_sp = case["seconds"]["median"], sp_case["seconds"]["median"]
            own[case["n"]] = t_ours
            modes = "/".join(sorted({run["mode"] for run in case["runs"]}))
            graded = target_applies and case["n"] >= 1_000_000
            row(f"re-convergence shift={case['shift']:g} n={case['n']} s ({modes})", t_ours, t_sp, t_sp / t_ours,
                ">= 100x" if graded else None, t_sp / t_ours >= 100 if graded else None)
        small, large = min(own), max(own)
        growth = own[large] / own[small]
        row(f"re-convergence shift={swift[key][0]['shift']:g} time n={large} / n={small} (solverd)", growth, None,
            None, "<= 2.0" if target_applies else None, growth <= 2.0 if target_applies else None)

    for case, sp_case in zip(swift["estimate"], scipy_side["full_solve"]):
        t_ours, t_sp = case["seconds_per_estimate"]["median"], sp_case["seconds"]["median"]
        row(f"x_i by {case['walks']} walks n={case['n']} s vs scipy full cg "
            f"({case['value']:.4f}±{case['standard_error']:.4f}, exact {case['exact']:.4f})",
            t_ours, t_sp, t_sp / t_ours)

    ours, theirs = swift["updates"], scipy_side["updates"]
    u_sp = theirs["updates_per_second"]["median"]
    for key, label in (("updates_per_second_tree_current", "tree current"),
                       ("updates_per_second_tree_stale", "tree stale")):
        u = ours[key]["median"]
        row(f"single-entry updates/s n=1e6 ({label})", u, u_sp, u / u_sp, ">= 5e6/s", u >= 5e6)
    return rows


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    return f"{value:.4g}"


def print_table(rows):
    headers = ["measurement", "solverd", "scipy", "ratio", "target", "pass/fail"]
    lines = [[r["measurement"], fmt(r["solverd"]), fmt(r["scipy"]),
              "-" if r["ratio"] is None else f"{r['ratio']:.3g}x", r["target"] or "-", fmt(r["passed"])]
             for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths]] + lines:
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)))
    print("ratio > 1 means solverd is faster (time: scipy/solverd; rate: solverd/scipy); medians of both sides.")


def main():
    binary = os.environ.get("SOLVERD_BENCH", str(ROOT / ".build" / "release" / "solverd-bench"))
    started = datetime.now()
    swift = run_swift(binary)
    scipy_side = run_scipy(swift)
    rows = compare(swift, scipy_side)
    print_table(rows)
    report = {"started": started.isoformat(timespec="seconds"), "binary": binary, "machine": machine_info(),
              "solverd": swift, "scipy": scipy_side, "comparison": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, sort_keys=True)
    for name in (f"core-{started:%Y%m%d-%H%M%S}.json", "core-latest.json"):
        (RESULTS / name).write_text(text + "\n")
    print(f"saved bench/results/core-{started:%Y%m%d-%H%M%S}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
