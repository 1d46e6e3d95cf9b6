#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets in fuzz/Targets against instrumented SolverCore/SolverWire objects and
# runs each for FUZZ_SECONDS (default 60). Scratch: .build-fuzz (the package build) and .build-fuzz/fuzz (binaries,
# working corpora, crash artifacts). The committed seeds in fuzz/corpus/<target> are read, never written.
#   fuzz/run.sh [target…]      FUZZ_SECONDS=60 FUZZ_BUILD_ONLY=1 SWIFT=swift
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
SCRATCH=.build-fuzz
OUT=$SCRATCH/fuzz
export SWIFT_BACKTRACE=enable=no  # the Swift backtracer reads the stack and trips ASan
FLAGS=(-sanitize=fuzzer,address -g -Onone -use-ld=lld)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(client-message solve-request matrix-market)

# 1. The library modules, instrumented for coverage (fuzzer) and ASan. Only the targets the harnesses import.
"$SWIFT" build --scratch-path "$SCRATCH" --target SolverWire -Xswiftc -sanitize=fuzzer,address
BIN=$("$SWIFT" build --scratch-path "$SCRATCH" --show-bin-path)
# Every object of SolverWire's dependency closure (SolverCore, SolverSession, swift-log, swift-metrics, …).
mapfile -t OBJECTS < <(find "$BIN" -path '*.build/*.o' \( -path '*/SolverCore.build/*' -o -path '*/SolverSession.build/*' \
    -o -path '*/SolverWire.build/*' -o -path '*/Logging.build/*' -o -path '*/CoreMetrics.build/*' -o -path '*/Metrics.build/*' \) | sort)

# 2. One executable per target: the harness + FuzzCheck + those objects, linked with libFuzzer's main.
mkdir -p "$OUT"
for t in "${TARGETS[@]}"; do
    "$SWIFT"c "${FLAGS[@]}" -parse-as-library -module-name "Fuzz_${t//-/_}" -I "$BIN/Modules" -I "$BIN" \
        "fuzz/Targets/$t.swift" fuzz/Targets/FuzzCheck.swift "${OBJECTS[@]}" -o "$OUT/$t"
done
[ -z "${FUZZ_BUILD_ONLY:-}" ] || exit 0

# 3. Bounded runs. New inputs go to $OUT/corpus/<t>; crashes to $OUT/artifacts/<t>/ and fail the run.
status=0
for t in "${TARGETS[@]}"; do
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
    echo "== fuzz $t for ${SECONDS_EACH}s"
    if ! "$OUT/$t" "$OUT/corpus/$t" "fuzz/corpus/$t" -max_total_time="$SECONDS_EACH" -max_len=4096 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t/" \
        2>"$OUT/$t.log"; then
        status=1
        echo "!! $t found a crash:"; grep -E "ERROR|Fatal|artifact" "$OUT/$t.log" | head -5
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added|cov:" "$OUT/$t.log" | tail -3
done
exit $status
