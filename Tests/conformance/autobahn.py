"""make conformance: the Autobahn|Testsuite fuzzing client (cases 1-10, 12, 13) against `solverd serve --echo-endpoint`.

Autobahn runs only on Python 2.7 (its wstest fails at import on Python 3); setup_autobahn.sh makes the virtualenv
once in .build-conformance/. The server listens on 127.0.0.1 only and is stopped at the end.

The case set runs `--runs` times (CONFORMANCE_RUNS, default 3), each against a freshly started server: a verdict that
changes between runs is a defect, so a FAILED or UNIMPLEMENTED case (or a missing one) in any run fails. The summary
(verdict counts per run, every non-OK case with its verdicts and close behaviour, the binary's SHA-256 and the git
commit) is written to bench/results/conformance-latest.json and a timestamped copy; bench/make_report.py shows it only
for the binary it was made with. The HTML report of each run stays in .build-conformance/report-<run>.
Exit status 1 when any run has a failing case.

    SOLVERD_BIN=… python3 Tests/conformance/autobahn.py [--cases 1.*,2.*] [--runs 3]

Tests/e2e/test_autobahn_quick.py runs QUICK_CASES once through `run_cases`.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".build-conformance"
WSTEST = WORK / "venv" / "bin" / "wstest"
RESULTS = ROOT / "bench" / "results"
DEFAULT_CASES = [f"{n}.*" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13)]
QUICK_CASES = ["1.*", "2.*", "5.*", "7.*"]
PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


def ensure_wstest():
    """Makes the Python 2.7 virtualenv if it is missing; raises if that fails."""
    if not WSTEST.exists():
        subprocess.run([str(Path(__file__).with_name("setup_autobahn.sh"))], check=True)


def start_server(binary, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--echo-endpoint"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    match = re.search(r"listening on http://[\d.]+:(\d+)", proc.stdout.readline())
    if not match:
        proc.kill()
        raise RuntimeError(f"solverd did not start; see {log_path}")
    return proc, int(match.group(1))


def case_key(case):
    return tuple(int(p) for p in case.split("."))


def run_cases(binary, cases, outdir):
    """One fuzzingclient run of `cases` against a fresh server; the verdicts as
    {case: (behavior, behaviorClose, duration_ms)} and run facts."""
    ensure_wstest()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    proc, port = start_server(binary, outdir / "solverd.log")
    spec = {"outdir": str(outdir), "servers": [{"agent": "solverd", "url": f"ws://127.0.0.1:{port}/ws/echo"}],
            "cases": cases, "exclude-cases": [], "exclude-agent-cases": {}}
    (outdir / "fuzzingclient.json").write_text(json.dumps(spec, indent=2))
    started = time.time()
    try:
        with open(outdir / "wstest.log", "w") as wlog:
            subprocess.run([str(WSTEST), "-m", "fuzzingclient", "-s", str(outdir / "fuzzingclient.json")], cwd=WORK,
                           stdout=wlog, stderr=subprocess.STDOUT, timeout=3600, check=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=35)
        except subprocess.TimeoutExpired:
            proc.kill()
    index = json.loads((outdir / "index.json").read_text())["solverd"]
    verdicts = {case: (c["behavior"], c["behaviorClose"], c.get("duration")) for case, c in index.items()}
    errors = [line for line in (outdir / "solverd.log").read_text().splitlines()
              if re.search(r"\b(error|critical|fatal)\b", line, re.I)][:20]
    return {"verdicts": verdicts, "seconds": round(time.time() - started, 1), "server_exit_code": proc.returncode,
            "server_log_errors": errors}


def failing(verdicts):
    return sorted((c for c, v in verdicts.items() if v[0] not in PASSING), key=case_key)


def summarize(runs):
    """Per-run counts, the union of failing cases, and every case that was not OK in some run."""
    all_cases = sorted(set().union(*(r["verdicts"] for r in runs)), key=case_key)
    missing = sorted({c for r in runs for c in all_cases if c not in r["verdicts"]}, key=case_key)
    failed = sorted(set(missing).union(*(failing(r["verdicts"]) for r in runs)), key=case_key)
    not_ok = {}
    for case in all_cases:
        seen = [r["verdicts"].get(case, ("MISSING", "MISSING", None)) for r in runs]
        if any(v[0] != "OK" for v in seen):
            not_ok[case] = {"behavior": [v[0] for v in seen], "behaviorClose": [v[1] for v in seen],
                            "duration_ms": [v[2] for v in seen]}
    return {
        "cases": len(all_cases),
        "runs": [{"counts": dict(collections.Counter(v[0] for v in r["verdicts"].values())), "seconds": r["seconds"],
                  "failed": failing(r["verdicts"]), "server_exit_code": r["server_exit_code"],
                  "server_log_errors": r["server_log_errors"]} for r in runs],
        "failed": failed, "missing": missing,
        # A case whose verdict differs between runs (timing-dependent behaviour).
        "unstable": [c for c, v in not_ok.items() if len(set(v["behavior"])) > 1],
        "not_ok": not_ok,
    }


def binary_identity(binary):
    digest = hashlib.sha256(Path(binary).read_bytes()).hexdigest()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    # Results files do not change the binary.
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"],
                                cwd=ROOT, capture_output=True, text=True).stdout.strip())
    return {"binary": str(binary), "binary_sha256": digest, "git_commit": commit, "git_dirty": dirty}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    parser.add_argument("--binary", default=os.environ.get("SOLVERD_BIN", str(ROOT / ".build/release/solverd")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("CONFORMANCE_RUNS", "3")))
    args = parser.parse_args()
    cases = args.cases.split(",")
    started = time.time()
    runs = []
    for number in range(1, args.runs + 1):
        run = run_cases(args.binary, cases, WORK / f"report-{number}")
        runs.append(run)
        counts = collections.Counter(v[0] for v in run["verdicts"].values())
        print(f"autobahn run {number}/{args.runs}: {len(run['verdicts'])} cases in {run['seconds']} s: {dict(counts)}",
              flush=True)
    summary = {"benchmark": "conformance", "suite": "autobahntestsuite fuzzingclient", "case_patterns": cases,
               "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
               "seconds": round(time.time() - started, 1), **binary_identity(args.binary), **summarize(runs)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2)
    # Only the whole default set becomes conformance-latest.json (the one bench/REPORT.md shows).
    name = "conformance" if cases == DEFAULT_CASES else "conformance-partial"
    (RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    if name == "conformance":
        (RESULTS / "conformance-latest.json").write_text(text)
    for case, v in summary["not_ok"].items():
        print(f"  {case:>8} {' / '.join(v['behavior']):<40} close={' / '.join(v['behaviorClose'])}")
    if summary["unstable"]:
        print(f"verdict changed between runs: {summary['unstable']}")
    if summary["failed"]:
        print(f"FAILED/UNIMPLEMENTED/missing in some run: {summary['failed']}")
    sys.exit(1 if summary["failed"] or summary["unstable"] else 0)


if __name__ == "__main__":
    main()
