"""make conformance: the Autobahn|Testsuite fuzzing client (cases 1-10, 12, 13) against `solverd serve --echo-endpoint`.

Autobahn runs only on Python 2.7 (its wstest fails at import on Python 3); setup_autobahn.sh makes the virtualenv
once in .build-conformance/. The server listens on 127.0.0.1 only and is stopped at the end.
The summary (verdict counts, every non-OK case with its verdict and close behaviour) is written to
bench/results/conformance-latest.json and a timestamped copy; the full HTML report stays in .build-conformance/report.
Exit status 1 when any case is FAILED or UNIMPLEMENTED (or missing).

    SOLVERD_BIN=… python3 Tests/conformance/autobahn.py [--cases 1.*,2.*]
"""
import argparse
import collections
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
PASSING = {"OK", "NON-STRICT", "INFORMATIONAL"}


def start_server(binary):
    log = open(WORK / "solverd.log", "w")
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--echo-endpoint"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    match = re.search(r"listening on http://[\d.]+:(\d+)", proc.stdout.readline())
    if not match:
        proc.kill()
        sys.exit("solverd did not start; see .build-conformance/solverd.log")
    return proc, int(match.group(1))


def summarize(index, agent):
    cases = index[agent]
    counts = collections.Counter(c["behavior"] for c in cases.values())
    key = lambda case: tuple(int(p) for p in case.split("."))
    notable = {case: {"behavior": c["behavior"], "behaviorClose": c["behaviorClose"], "duration_ms": c.get("duration")}
               for case, c in sorted(cases.items(), key=lambda kv: key(kv[0])) if c["behavior"] != "OK"}
    return {"agent": agent, "cases": len(cases), "counts": dict(counts),
            "failed": sorted((c for c, v in notable.items() if v["behavior"] not in PASSING), key=key),
            "not_ok": notable}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    parser.add_argument("--binary", default=os.environ.get("SOLVERD_BIN", str(ROOT / ".build/debug/solverd")))
    args = parser.parse_args()
    if not WSTEST.exists():
        subprocess.run([str(Path(__file__).with_name("setup_autobahn.sh"))], check=True)
    proc, port = start_server(args.binary)
    agent = "solverd"
    spec = {"outdir": str(WORK / "report"), "servers": [{"agent": agent, "url": f"ws://127.0.0.1:{port}/ws/echo"}],
            "cases": args.cases.split(","), "exclude-cases": [], "exclude-agent-cases": {}}
    (WORK / "fuzzingclient.json").write_text(json.dumps(spec, indent=2))
    started = time.time()
    try:
        with open(WORK / "wstest.log", "w") as wlog:
            subprocess.run([str(WSTEST), "-m", "fuzzingclient", "-s", str(WORK / "fuzzingclient.json")], cwd=WORK,
                           stdout=wlog, stderr=subprocess.STDOUT, timeout=3600, check=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=35)
        except subprocess.TimeoutExpired:
            proc.kill()
    index = json.loads((WORK / "report" / "index.json").read_text())
    summary = {"benchmark": "conformance", "suite": "autobahntestsuite fuzzingclient", "case_patterns": spec["cases"],
               "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
               "binary": args.binary, "seconds": round(time.time() - started, 1), **summarize(index, agent),
               "server_exit_code": proc.returncode,
               "server_log_errors": [l for l in (WORK / "solverd.log").read_text().splitlines()
                                     if re.search(r"\b(error|critical|fatal)\b", l, re.I)][:20]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2)
    # Only a run of the whole default set becomes conformance-latest.json (the one bench/REPORT.md shows).
    name = "conformance" if spec["cases"] == DEFAULT_CASES else "conformance-partial"
    (RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    if name == "conformance":
        (RESULTS / "conformance-latest.json").write_text(text)
    print(f"autobahn: {summary['cases']} cases in {summary['seconds']} s: {summary['counts']}")
    for case, v in summary["not_ok"].items():
        print(f"  {case:>8} {v['behavior']:<14} close={v['behaviorClose']}")
    if summary["failed"]:
        print(f"FAILED/UNIMPLEMENTED: {summary['failed']}")
    sys.exit(1 if summary["failed"] else 0)


if __name__ == "__main__":
    main()
