#!/usr/bin/env bash
# make test-asan / test-tsan: builds solverd with one sanitizer in its own scratch path (.build-asan, .build-tsan;
# incremental, so a second run only relinks what changed) and runs Tests/e2e against that binary.
# Fails when pytest fails or when the sanitizer wrote any report (kept in .build-<san>/reports/).
#   Tests/sanitizers/run_e2e.sh asan|tsan [pytest options…]   E2E=Tests/e2e (tests to run) SWIFT=swift PYTHON=python3
#                                                             SANITIZER_SKIP_BUILD=1 (use the existing binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:?usage: run_e2e.sh asan|tsan [pytest args]}; shift
case $kind in
    asan) sanitizer=address ;;
    tsan) sanitizer=thread ;;
    *) echo "unknown sanitizer $kind" >&2; exit 2 ;;
esac
scratch=.build-$kind
reports=$PWD/$scratch/reports
[ -n "${SANITIZER_SKIP_BUILD:-}" ] || "${SWIFT:-swift}" build --scratch-path "$scratch" --sanitize="$sanitizer" --product solverd
rm -rf "$reports" && mkdir -p "$reports"
# Reports go to files (log_path) so a chatty test cannot hide them; leaks are checked at exit by ASan. The
# suppression files explain each entry (process-lifetime objects at exit; TSan and contended Synchronization.Mutex).
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0:handle_abort=1"
export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/Tests/sanitizers/tsan.supp"
export LSAN_OPTIONS="suppressions=$PWD/Tests/sanitizers/lsan.supp:print_suppressions=0"
export SWIFT_BACKTRACE=enable=no
status=0
SOLVERD_BIN=$PWD/$scratch/debug/solverd "${PYTHON:-python3}" -m pytest -q -p no:cacheprovider "$@" ${E2E:-Tests/e2e} || status=$?
shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
    echo "sanitizer ($sanitizer) reports in $reports:"
    for f in "${found[@]}"; do echo "== $f"; grep -E "^(WARNING|ERROR|SUMMARY)" "$f" | sort | uniq -c | head -20; done
    status=1
fi
exit $status
