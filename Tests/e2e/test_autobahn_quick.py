"""Autobahn|Testsuite quick subset in `make test`: sections 1 (framing), 2 (pings and pongs), 5 (fragmentation with
control frames in between) and 7 (close handling) once against the binary under test (`solverd serve
--echo-endpoint`). Any FAILED or UNIMPLEMENTED verdict fails. `make conformance` runs the whole set (1-10, 12, 13) three
times on the release build. The Python 2.7 virtualenv is made by Tests/conformance/setup_autobahn.sh (a step of
`make test`; called here too when missing) and a failure to make it fails this test."""
import sys
from pathlib import Path

from conftest import ROOT, solverd_binary

sys.path.insert(0, str(Path(ROOT) / "Tests" / "conformance"))
import autobahn  # noqa: E402


def test_autobahn_sections_1_2_5_7_have_no_failed_case(tmp_path):
    run = autobahn.run_cases(solverd_binary(), autobahn.QUICK_CASES, tmp_path / "report")
    verdicts = run["verdicts"]
    assert len(verdicts) >= 80, f"only {len(verdicts)} cases ran"
    assert {case.split(".")[0] for case in verdicts} == {"1", "2", "5", "7"}
    failed = {case: verdicts[case] for case in autobahn.failing(verdicts)}
    assert not failed, f"Autobahn verdicts (behavior, close, ms); reports in {tmp_path}: {failed}"
    assert run["server_exit_code"] == 0 and not run["server_log_errors"], run
