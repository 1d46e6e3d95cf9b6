"""Writes bench/REPORT.md from every bench/results/*-latest.json (the last run of each benchmark), with PNG plots.

Two table shapes are understood: `comparison` rows (bench-core: solverd against scipy, with the ratio measured in
the same run) and `targets` rows (the others: measurement, value, unit, target, pass/fail). Plots are drawn for
the results whose structure is known (core ratios, server latencies and throughput vs the bare lws echo,
slow-consumer RSS and p99, soak RSS and descriptors, conformance verdicts); any other *-latest.json still gets its
table. Needs matplotlib (installed by `make bench`, not by `make test`).

The conformance section is always that of the current release build: a conformance-latest.json made with another
binary (compared by SHA-256) is first made again (`refresh_conformance`); with BENCH_CONFORMANCE=skip it is shown
marked stale.
"""
import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench_report import ROOT, RESULTS, fmt, machine_info  # noqa: E402

PLOTS = ROOT / "bench" / "plots"
ORDER = ["core", "direct", "sessions", "server", "cluster", "slow", "soak", "conformance"]
TITLES = {"core": "Core numerics vs scipy (bench-core)",
          "direct": "Sparse direct solvers vs splu, CHOLMOD, pyamg, warm cg (bench-direct)",
          "sessions": "Live sessions in process (bench-sessions)",
          "server": "WebSocket server vs bare libwebsockets echo (bench-server)", "cluster": "Cluster (bench-cluster)",
          "slow": "Slow consumers (bench-slow)", "soak": "Soak (make soak)",
          "conformance": "WebSocket conformance: Autobahn|Testsuite (make conformance)"}


def command_version(*argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unavailable"


def machine_section():
    m = machine_info()
    lws = command_version("pkg-config", "--modversion", "libwebsockets")
    lines = ["## Machine", "", f"- CPU: {m['cpu_model']}, {m['cores']} cores (shared with other builds: "
             f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} when this report was written)",
             f"- Memory: {m['memory_bytes'] / 2**30:.1f} GiB", f"- OS: {m['platform']}",
             f"- Swift: {command_version('swift', '--version')}", f"- libwebsockets: {lws}",
             f"- Python: {platform.python_version()}", f"- git: {m['git_commit'][:12]}{' (dirty)' if m['git_dirty'] else ''}", ""]
    return lines


def table(rows, columns):
    out = ["| " + " | ".join(title for title, _ in columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(str(get(r)).replace("|", "\\|") for _, get in columns) + " |")
    return out


def comparison_table(rows):
    return table(rows, [("measurement", lambda r: r["measurement"]), ("solverd", lambda r: fmt(r.get("solverd"))),
                        ("scipy (same run)", lambda r: fmt(r.get("scipy"))), ("ratio", lambda r: fmt(r.get("ratio"))),
                        ("target", lambda r: r.get("target") or "-"), ("pass", lambda r: fmt(r.get("passed")))])


def targets_table(rows):
    return table(rows, [("measurement", lambda r: r["measurement"]), ("value", lambda r: fmt(r.get("value"))),
                        ("unit", lambda r: r.get("unit") or ""), ("target", lambda r: r.get("target") or "-"),
                        ("pass", lambda r: fmt(r.get("passed")))])


def save_plot(fig, name):
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(PLOTS / f"{name}.png", dpi=110)
    plt.close(fig)
    return f"![{name}](plots/{name}.png)"


def plot_core(d):
    rows = [r for r in d.get("comparison", []) if isinstance(r.get("ratio"), (int, float))]
    if not rows:
        return []
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.5))
    ax.barh([r["measurement"] for r in rows], [r["ratio"] for r in rows],
            color=["tab:green" if r.get("passed") is not False else "tab:red" for r in rows])
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("ratio against scipy (same run; > 1 = solverd faster, see each target)")
    ax.invert_yaxis()
    return [save_plot(fig, "core-ratios")]


def plot_server(d):
    r = d.get("results", {})
    names = [k for k in ("connect", "connect_echo", "rtt", "fanout", "fanout_echo") if isinstance(r.get(k), dict)]
    out = []
    # Each loadgen report holds one latency summary ({count, p50_us, p99_us, max_us}) under its own key.
    lat = [(k, next((v for v in r[k].values() if isinstance(v, dict) and "p50_us" in v), None)) for k in names]
    lat = [(k, v) for k, v in lat if v]
    if lat:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        xs = range(len(lat))
        ax.bar([x - 0.2 for x in xs], [v["p50_us"] for _, v in lat], 0.4, label="p50")
        ax.bar([x + 0.2 for x in xs], [v["p99_us"] for _, v in lat], 0.4, label="p99")
        ax.set_xticks(list(xs), [k for k, _ in lat])
        ax.set_ylabel("µs")
        ax.set_yscale("log")
        ax.legend()
        out.append(save_plot(fig, "server-latency"))
    runs = [(k, r.get(k)) for k in ("throughput_solverd", "throughput_echo")]
    if all(isinstance(v, list) and v for _, v in runs):
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar(["solverd ping", "bare lws echo"], [max(x["replies_per_second"] for x in v) for _, v in runs])
        ax.set_ylabel("replies / s (best run)")
        out.append(save_plot(fig, "server-throughput"))
    return out


def plot_timeline(samples, name, series):
    fig, axes = plt.subplots(len(series), 1, figsize=(8, 2.6 * len(series)), sharex=True, squeeze=False)
    for ax, (key, label, scale) in zip(axes[:, 0], series):
        ax.plot([s["t"] if isinstance(s, dict) else s[0] for s in samples],
                [(s[key] if isinstance(s, dict) else s[1]) / scale for s in samples])
        ax.set_ylabel(label)
    axes[-1, 0].set_xlabel("seconds")
    return save_plot(fig, name)


def plot_slow(d):
    r, out = d.get("results", {}), []
    if r.get("rss_samples"):
        out.append(plot_timeline(r["rss_samples"], "slow-rss", [("rss", "server RSS (MB)", 1e6)]))
    if "baseline" in r and "with_slow" in r:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.bar(["baseline", f"with {r['subscribers']} slow"],
               [r["baseline"]["fanout"]["p99_us"] / 1e3, r["with_slow"]["fanout"]["p99_us"] / 1e3])
        ax.set_ylabel("fast subscribers' p99 (ms)")
        out.append(save_plot(fig, "slow-p99"))
    return out


def plot_soak(d):
    samples = d.get("results", {}).get("samples")
    if not samples:
        return []
    return [plot_timeline(samples, "soak", [("rss", "server RSS (MB)", 1e6), ("fds", "open descriptors", 1)])]


CONFORMANCE_BINARY = ROOT / ".build" / "release" / "solverd"
VERDICTS = ["OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED"]


def file_sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def refresh_conformance():
    """The report shows the conformance of the build the other benchmarks measured (the release binary): when the
    latest result was made with another binary, `make conformance`'s script runs now (three runs of the whole set,
    a few minutes). BENCH_CONFORMANCE=skip keeps the old result, which the report then marks as stale."""
    current = file_sha256(CONFORMANCE_BINARY)
    latest = RESULTS / "conformance-latest.json"
    if current is None or os.environ.get("BENCH_CONFORMANCE") == "skip":
        return
    if latest.exists() and json.loads(latest.read_text()).get("binary_sha256") == current:
        return
    print("conformance-latest.json is not from the current release build: running Tests/conformance/autobahn.py")
    subprocess.run([sys.executable, str(ROOT / "Tests" / "conformance" / "autobahn.py"),
                    "--binary", str(CONFORMANCE_BINARY)], cwd=ROOT)


def section_conformance(d):
    runs = d.get("runs") or [{"counts": d.get("counts", {}), "seconds": d.get("seconds")}]
    lines = []
    if d.get("binary_sha256") is None or d.get("binary_sha256") != file_sha256(CONFORMANCE_BINARY):
        lines += [f"**Stale: this result was made with {d.get('binary')} (commit {str(d.get('git_commit'))[:12]}), "
                  "not with the current release build.**", ""]
    else:
        lines += [f"Binary: the current release build (commit {d['git_commit'][:12]}"
                  f"{', dirty' if d.get('git_dirty') else ''}).", ""]
    lines += [f"{d.get('cases')} cases ({', '.join(d.get('case_patterns', []))}), {len(runs)} run(s) in "
              f"{d.get('seconds')} s. FAILED/UNIMPLEMENTED in any run: {', '.join(d['failed']) if d.get('failed') else 'none'}"
              f"; verdict changed between runs: {', '.join(d['unstable']) if d.get('unstable') else 'none'}.", ""]
    lines += table([{"run": i + 1, **r} for i, r in enumerate(runs)],
                   [("run", lambda r: r["run"])] + [(v, lambda r, v=v: r["counts"].get(v, 0)) for v in VERDICTS]
                   + [("seconds", lambda r: r.get("seconds"))]) + [""]
    notable = d.get("not_ok", {})
    if notable:
        joined = lambda value: " / ".join(value) if isinstance(value, list) else value
        lines += table([{"case": c, **v} for c, v in notable.items()],
                       [("case", lambda r: r["case"]), ("verdict per run", lambda r: joined(r["behavior"])),
                        ("close per run", lambda r: joined(r["behaviorClose"]))]) + [""]
    counts = runs[-1]["counts"]
    if counts:
        fig, ax = plt.subplots(figsize=(5, 2.8))
        ax.bar(list(counts), list(counts.values()))
        ax.set_ylabel("cases (last run)")
        lines.append(save_plot(fig, "conformance-verdicts"))
    return lines


def plot_cluster(d):
    """Issue 13: ping RTT and /health latency over the Redis-pause run, the pauses shaded."""
    timeline = d.get("pause", {}).get("timeline")
    if not timeline:
        return []
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for start, end in timeline["pauses"]:
        ax.axvspan(start, end, color="tab:red", alpha=0.15)
    for key, label in (("ping", "WebSocket ping RTT (every 5 ms)"), ("health", "GET /health")):
        ax.plot([t for t, _ in timeline[key]], [v for _, v in timeline[key]], ".", ms=2, label=label)
    ax.axhline(5, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("seconds (shaded: Redis paused by DEBUG SLEEP)")
    ax.set_ylabel("ms")
    ax.legend(loc="upper right")
    return [save_plot(fig, "cluster-pause")]


def plot_sessions(d):
    """Issue 16: bytes per nonzero of the CG sessions by component (accounted, worse idle phase) against their RSS
    growth and the 40 B/nnz target, one pair of bars per preconditioner."""
    runs = d.get("memory") or {}
    if not runs:
        return []
    fig, ax = plt.subplots(figsize=(8, 1 + 0.9 * len(runs)))
    colors = {}
    for name, r in runs.items():
        phases = [r["after_convergence"], r["after_updates"]]
        worst = max(phases, key=lambda m: m["accounted_bytes_per_session"])
        left = 0.0
        for component, bytes_ in sorted(worst["breakdown_bytes_per_session"].items()):
            if bytes_ > 0:
                width = bytes_ / worst["nnz"]
                bar = ax.barh([f"{worst['method']} accounted"], [width], left=left, color=colors.get(component),
                              label=None if component in colors else component)
                colors[component] = bar.patches[0].get_facecolor()
                left += width
        ax.barh([f"{worst['method']} RSS"], [max(p["rss_bytes_per_nnz"] for p in phases)], color="gray")
    ax.axvline(40, color="black", lw=0.8, ls="--")
    ax.set_xlabel("bytes per nonzero (n = 10,000, nnz = 49,600; dashed: the 40 B/nnz target)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=5, fontsize=7)
    return [save_plot(fig, "sessions-memory")]


PLOTTERS = {"core": plot_core, "sessions": plot_sessions, "server": plot_server, "cluster": plot_cluster, "slow": plot_slow, "soak": plot_soak}


def section(name, d, path):
    started = d.get("started") or datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
    lines = [f"## {TITLES.get(name, name)}", "", f"Run: {started}; file: bench/results/{name}-latest.json", ""]
    if name == "conformance":
        return lines + section_conformance(d) + [""]
    if d.get("comparison"):
        lines += comparison_table(d["comparison"]) + [""]
    if d.get("targets"):
        lines += targets_table(d["targets"]) + [""]
    for stage_table in d.get("stage_tables", []):
        lines += stages_table(stage_table) + [""]
    for image in PLOTTERS.get(name, lambda _: [])(d):
        lines += [image, ""]
    notes = ROOT / "bench" / "notes" / f"{name}.md"
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    return lines


def stages_table(t):
    """Issue 16: one row per latency stage (HDR histogram percentiles in µs), in the order an update passes them."""
    order = ["journal", "inbox", "ready_queue", "apply", "frame", "update_to_frame", "encode", "transport", "coalesced",
             "solving_queue", "slice", "step", "verification"]
    stages = t["stages"]
    names = [n for n in order if n in stages] + sorted(set(stages) - set(order))
    out = [f"**{t['title']}**", "", "| stage | count | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |", "|---|---|---|---|---|---|---|"]
    for n in names:
        s = stages[n]
        out.append(f"| {n} | {fmt(s.get('count', 0))} | " + " | ".join(fmt(s.get(k, float('nan')))
                                                                    for k in ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")) + " |")
    return out


def main():
    refresh_conformance()
    found = {p.name[:-len("-latest.json")]: p for p in RESULTS.glob("*-latest.json")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    lines = ["# solverd benchmark report", "", "Written by `make bench` (bench/make_report.py) from the latest result "
             "of each benchmark in bench/results/. Ratios compare against references measured in the same run "
             "(scipy for the numerics, a bare libwebsockets echo for the server).", ""]
    lines += machine_section()
    failed = []
    for name in names:
        d = json.loads(found[name].read_text())
        failed += [f"{name}: {r['measurement']}" for r in d.get("targets", []) + d.get("comparison", [])
                   if r.get("passed") is False]
        lines += section(name, d, found[name])
    lines += ["## Targets missed", ""] + ([f"- {f}" for f in failed] or ["none"]) + [""]
    (ROOT / "bench" / "REPORT.md").write_text("\n".join(lines))
    print(f"wrote bench/REPORT.md ({len(names)} benchmarks, {len(failed)} targets missed)")


if __name__ == "__main__":
    main()
