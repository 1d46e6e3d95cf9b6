#!/usr/bin/env python3
"""make bench-sessions: runs `solverd-bench sessions` (in process, no sockets) and checks issue 3's targets.

The binary comes from $SOLVERD_BENCH (default .build/release/solverd-bench); extra arguments are passed on
(e.g. --sessions 200 --seconds 2 for a quick run). Results: bench/results/sessions-latest.json (+ a dated copy).
"""
import json
import os
import subprocess
import sys
from datetime import datetime

from bench_report import ROOT, finish, row


def rows_for(r):
    paced, single, batched, big = r["paced_single"], r["sustained_single"], r["sustained_batched"], r["localised_large"]
    fixed = max(r["fixed_overhead"][k]["overhead_bytes_per_session"] for k in ("after_convergence", "after_updates"))
    unaccounted = max(r[k]["overhead_bytes_per_session"] for k in ("memory_after_convergence", "memory_after_updates"))
    idle = max(r["idle"]["cpu_percent"], r["idle_after_updates"]["cpu_percent"])
    n, count, cores = r["n"], r["sessions"], r["scheduler_width"]
    entries = batched["entries"] // max(1, batched["updates"])

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
        *rate_rows("single-entry updates", single, "updates_per_second", 50_000),
        row(f"  update→frame p99 at that offer", single["latency"]["p99_us"], "µs"),
        *rate_rows(f"batched ({entries}-entry) entries", batched, "entries_per_second", 1_000_000, entries),
        row(f"idle CPU, {count} converged sessions (worst of 2 × {r['idle']['seconds']:.1f} s)", idle, "%",
            "0% (< 0.5)", idle < 0.5 and r["idle"]["slices_run"] == 0 and r["idle_after_updates"]["slices_run"] == 0),
        row(f"fixed per-session overhead ({count} sessions n={r['fixed_overhead']['n']}, worst)", fixed / 1024, "KiB",
            "< 64", fixed < 64 * 1024),
        row(f"  RSS per session at n={n} not in its memoryBytes (O(n) state)", unaccounted / 1024, "KiB"),
        row(f"update→frame p50, one session n={big['n']}, localised", big["latency"]["p50_us"], "µs"),
        row("update→frame p99, same", big["latency"]["p99_us"], "µs", "< 2,000", big["latency"]["p99_us"] < 2000),
        row("  CPU per localised update (to re-convergence)", big["cpu_us_per_update"], "µs"),
        row("  update→re-converged p50", big["until_converged"]["p50_us"], "µs"),
    ]


def main():
    binary = os.environ.get("SOLVERD_BENCH", str(ROOT / ".build" / "release" / "solverd-bench"))
    started = datetime.now()
    print(f"running {binary} sessions", file=sys.stderr)
    out = subprocess.run([binary, "sessions", *sys.argv[1:]], stdout=subprocess.PIPE, check=True, timeout=1800).stdout
    result = json.loads(out)
    rows = rows_for(result)
    finish("sessions", started, rows, binary=binary, solverd=result)


if __name__ == "__main__":
    main()
