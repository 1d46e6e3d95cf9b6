"""Shared by bench_sessions.py and bench_server.py: machine info, the figures-vs-targets table, saving results."""
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def machine_info():
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"cpu_model": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "loadavg_at_start": os.getloadavg(), "git_commit": git("rev-parse", "HEAD"),
            "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def row(measurement, value, unit, target=None, passed=None):
    """One table row; `passed` None means informational."""
    return {"measurement": measurement, "value": value, "unit": unit, "target": target, "passed": passed}


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(rows):
    headers = ["measurement", "value", "unit", "target", "pass/fail"]
    lines = [[r["measurement"], fmt(r["value"]), r["unit"], r["target"] or "-", fmt(r["passed"])] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths]] + lines:
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)))


def save(name, started, report):
    """Writes bench/results/NAME-YYYYmmdd-HHMMSS.json and NAME-latest.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, sort_keys=True) + "\n"
    for file in (f"{name}-{started:%Y%m%d-%H%M%S}.json", f"{name}-latest.json"):
        (RESULTS / file).write_text(text)
    print(f"saved bench/results/{name}-latest.json", file=sys.stderr)


def finish(name, started, rows, **fields):
    """Prints the table and saves the run (start time, machine, `fields`, targets); True when no target failed."""
    print_table(rows)
    save(name, started, {"started": started.isoformat(timespec="seconds"), "machine": machine_info(), **fields,
                         "targets": rows})
    return all(r["passed"] is not False for r in rows)


def stop(*procs, timeout=35):
    """SIGTERM to every process, then waits (killing what is still running after `timeout` seconds)."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
