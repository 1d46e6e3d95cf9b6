#!/usr/bin/env python3
"""make bench-sessions: runs `solverd-bench sessions` (in process, no sockets) and checks issue 3's targets, then
`solverd-bench memory` once per CG preconditioner (each in a process of its own, so RSS growth is the sessions')
for issue 16's bytes-per-nonzero target.

The binary comes from $SOLVERD_BENCH (default .build/release/solverd-bench); extra arguments are passed on
(e.g. --sessions 200 --seconds 2 for a quick run). Results: bench/results/sessions-latest.json (+ a dated copy).
"""
import json
import os
import subprocess
import sys
from datetime import datetime

from bench_report import ROOT, finish, row

# Issue 16: what a CG session of the fleet's shape (n = 10,000, 49,600 nonzeros) may hold, all in.
BYTES_PER_NONZERO_TARGET = 40
# The members of the status's `memory` object, in its order.
COMPONENTS = ["matrix", "transpose", "vectors", "workspace", "preconditioner", "factor", "live_push", "events", "swarm",
              "other"]
PRECONDITIONERS = ["jacobi", "ilu"]


def worst_phase(phases):
    return max(phases, key=lambda m: m["accounted_bytes_per_session"])


def memory_rows(r):
    """One `solverd-bench memory` run: bytes per nonzero RSS-measured and accounted (the worse of the two idle
    phases) against the target, their gap, the figure while a global solve holds its work vectors, the breakdown."""
    phases = [r["after_convergence"], r["after_updates"]]
    worst = worst_phase(phases)
    rss = max(m["rss_bytes_per_nnz"] for m in phases)
    accounted = worst["accounted_bytes_per_nnz"]
    nnz, n = worst["nnz"], worst["rows"]
    target = f"<= {BYTES_PER_NONZERO_TARGET}"
    solving = r["workspace_while_solving"]
    peak = (worst["accounted_bytes_per_session"] + solving["workspace_bytes"]) / nnz
    rows = [
        row(f"memory per nonzero, {r['sessions']} {worst['method']} sessions n={n} nnz={nnz}: RSS growth (worst phase)",
            rss, "B/nnz", target, rss <= BYTES_PER_NONZERO_TARGET),
        row("  accounted (memory_bytes, worst phase)", accounted, "B/nnz", target, accounted <= BYTES_PER_NONZERO_TARGET),
        row("  RSS − accounted per session, after convergence / after updates",
            " / ".join(f"{m['overhead_bytes_per_session'] / 1024:,.1f}" for m in phases), "KiB"),
        row("    of which freed memory malloc keeps (not returned to the system), same phases",
            " / ".join(f"{m['malloc_free_bytes_per_session'] / 1024:,.1f}" for m in phases), "KiB"),
        row(f"  accounted while a global solve runs ({solving['method']} work vectors held)", peak, "B/nnz", target,
            peak <= BYTES_PER_NONZERO_TARGET),
    ]
    for name in COMPONENTS:
        bytes_ = worst["breakdown_bytes_per_session"].get(name, 0)
        if bytes_ > 0:
            rows.append(row(f"    {name} (per row: {bytes_ / n:,.1f} B)", bytes_ / nnz, "B/nnz"))
    return rows


def rows_for(r):
    paced, single, batched, big = r["paced_single"], r["sustained_single"], r["sustained_batched"], r["localised_large"]
    fixed = max(r["fixed_overhead"][k]["overhead_bytes_per_session"] for k in ("after_convergence", "after_updates"))
    idle = max(r["idle"]["cpu_percent"], r["idle_after_updates"]["cpu_percent"])
    n, count, cores = r["n"], r["sessions"], r["scheduler_width"]
    entries = batched["entries"] // max(1, batched["updates"])
    fleet = worst_phase([r["memory_after_convergence"], r["memory_after_updates"]])

    def rate_rows(label, phase, key, target, per_cpu_scale=1):
        offered = phase["offered_per_second"] * per_cpu_scale
        value = phase[key]
        return [
            row(f"{label}/s applied (offered {offered:,.0f}/s, {r['producers']} producers)", value, "/s",
                f">= {target:,}", phase["sustained"] and value >= target),
            row(f"  same, per CPU-second × {cores} cores (machine is shared)",
                phase["updates_per_cpu_second"] * per_cpu_scale * cores, "/s"),
            row(f"  CPU cores the process got", phase["cpu_cores_busy"], "cores"),
        ]
    return [
        row(f"update→frame p50, {count} sessions n={n}, offered {paced['offered_per_second']:,.0f}/s",
            paced["latency"]["p50_us"], "µs"),
        row("update→frame p99, same", paced["latency"]["p99_us"], "µs"),
        row("update→frame p99.9, same", paced["latency"]["p999_us"], "µs"),
        *rate_rows("single-entry updates", single, "updates_per_second", 50_000),
        row(f"  update→frame p99 at that offer", single["latency"]["p99_us"], "µs"),
        *rate_rows(f"batched ({entries}-entry) entries", batched, "entries_per_second", 1_000_000, entries),
        row(f"idle CPU, {count} converged sessions (worst of 2 × {r['idle']['seconds']:.1f} s)", idle, "%",
            "0% (< 0.5)", idle < 0.5 and r["idle"]["slices_run"] == 0 and r["idle_after_updates"]["slices_run"] == 0),
        row(f"fixed per-session overhead ({count} sessions n={r['fixed_overhead']['n']}, worst)", fixed / 1024, "KiB",
            "< 64", fixed < 64 * 1024),
        row(f"memory per nonzero, the {count} sessions n={n} above ({fleet['method']}): RSS growth / accounted",
            " / ".join(f"{fleet[k]:,.1f}" for k in ("rss_bytes_per_nnz", "accounted_bytes_per_nnz")), "B/nnz"),
        row(f"update→frame p50, one session n={big['n']}, localised", big["latency"]["p50_us"], "µs"),
        row("update→frame p99, same", big["latency"]["p99_us"], "µs", "< 2,000", big["latency"]["p99_us"] < 2000),
        row("  CPU per localised update (to re-convergence)", big["cpu_us_per_update"], "µs"),
        row("  update→re-converged p50", big["until_converged"]["p50_us"], "µs"),
    ]


def main():
    binary = os.environ.get("SOLVERD_BENCH", str(ROOT / ".build" / "release" / "solverd-bench"))
    started = datetime.now()

    def run(*args):
        print(f"running {binary} {' '.join(args)}", file=sys.stderr)
        return json.loads(subprocess.run([binary, *args], stdout=subprocess.PIPE, check=True, timeout=1800).stdout)
    result = run("sessions", *sys.argv[1:])
    count = sys.argv[sys.argv.index("--sessions") + 1:][:1] if "--sessions" in sys.argv else []
    memory = {p: run("memory", "--preconditioner", p, *(["--sessions", *count] if count else [])) for p in PRECONDITIONERS}
    rows = rows_for(result) + [r for p in PRECONDITIONERS for r in memory_rows(memory[p])]
    finish("sessions", started, rows, binary=binary, solverd=result, memory=memory, stage_tables=stage_tables(result))


def stage_tables(r):
    """Issue 16: where each phase's updates waited, stage by stage (the in-process HDR histograms)."""
    titles = {"paced_single": "paced single-entry updates", "sustained_single": "single-entry updates at the target rate",
              "sustained_batched": "batched updates at the target entry rate"}
    return [{"title": f"{r['sessions']} sessions n={r['n']}, {titles[name]} "
                      f"(offered {r[name]['offered_per_second']:,.0f}/s; last re-convergence modes {r[name].get('last_modes')})",
             "stages": r[name]["stages"]} for name in titles if "stages" in r[name]]


if __name__ == "__main__":
    main()
