"""Packaging of the Python client: `mypy --strict` is clean, and the sdist and wheel that `python -m build` makes install
in a fresh virtualenv (no system site-packages; numpy, scipy, requests, websockets and pytest from PyPI) and pass the
client tests there against the real server. Everything (copies, builds, the virtualenv, pip's cache) lives in a
temporary directory."""
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile

import pytest

from conftest import ROOT, solverd_binary
from python_client_support import CLIENT_DIR

CLIENT_TESTS = ["Tests/e2e/test_python_client.py", "Tests/e2e/test_python_client_streams.py"]
CONSUMER = """
from solverd_client import SolverClient
client = SolverClient("http://127.0.0.1:1")
signal: dict = client.wait_converged("sid")
wrong: str = client.solution_array("sid")
"""


def run(args, cwd, env=None, timeout=300):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def test_mypy_strict_is_clean(tmp_path):
    run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"), "solverd_client"],
        cwd=CLIENT_DIR)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(sdist, wheel, venv python, environment) with pip's cache inside the temporary directory. The virtualenv and
    the heavy test-only packages (numpy, scipy, pytest) are made while `python -m build` runs; installing the wheel
    then brings its own dependencies (requests, websockets; numpy is already there)."""
    tmp = tmp_path_factory.mktemp("pyclient")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_USER")}
    env.update(PIP_CACHE_DIR=str(tmp / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    python = str(tmp / "venv" / "bin" / "python")
    venv_failure = []

    def make_venv():
        try:
            run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp, env=env)
            run([python, "-m", "pip", "install", "-q", "numpy", "scipy", "pytest"], cwd=tmp, env=env)
        except AssertionError as error:
            venv_failure.append(error)
    maker = threading.Thread(target=make_venv)
    maker.start()
    source = tmp / "src"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist"))
    try:
        run([sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(source)], cwd=tmp, env=env)
    finally:
        maker.join()
    assert not venv_failure, venv_failure[0]
    sdist, = (tmp / "dist").glob("solverd_client-0.2.0.tar.gz")
    wheel, = (tmp / "dist").glob("solverd_client-0.2.0-py3-none-any.whl")
    run([python, "-m", "pip", "install", "-q", str(wheel)], cwd=tmp, env=env)
    return sdist, wheel, python, env


def test_the_archives_hold_the_package_and_its_type_marker(built):
    sdist, wheel, _, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("__init__", "errors", "http", "inputs", "protocol", "ws"):
        assert f"solverd_client/{module}.py" in names
    assert "solverd_client/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read("solverd_client-0.2.0.dist-info/METADATA").decode()
    assert "Requires-Dist: websockets>=14" in metadata and "Requires-Dist: numpy" in metadata
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert "solverd_client-0.2.0/solverd_client/py.typed" in members
    assert "solverd_client-0.2.0/README.md" in members


def test_the_wheel_in_a_fresh_virtualenv_passes_the_client_tests(built):
    _, _, python, env = built
    isolated = run([python, "-c", "import sys, solverd_client; print(sys.flags.no_site, solverd_client.__file__)"],
                   cwd="/", env=env)
    assert "site-packages" in isolated.stdout and ROOT not in isolated.stdout
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CLIENT_TESTS], cwd=ROOT,
                env={**env, "SOLVERD_CLIENT_INSTALLED": "1", "SOLVERD_BIN": solverd_binary()}, timeout=600)
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_the_installed_package_is_typed_for_its_users(built, tmp_path):
    """mypy, pointed at the virtualenv, reads the installed package's annotations (PEP 561 `py.typed`)."""
    _, _, python, _ = built
    consumer = tmp_path / "consumer.py"
    consumer.write_text(CONSUMER)
    checked = subprocess.run([sys.executable, "-m", "mypy", "--python-executable", python, "--cache-dir",
                              str(tmp_path / "mypy"), str(consumer)], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "consumer.py:5" in errors[0] and "ndarray" in errors[0], checked.stdout


def test_the_sdist_installs_in_the_same_virtualenv(built):
    sdist, _, python, env = built
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(sdist)], cwd="/", env=env)
    check = run([python, "-c", "import os, solverd_client as c; print(c.__version__, os.path.exists(os.path.join("
                 "os.path.dirname(c.__file__), 'py.typed')), c.SolverdHTTP is c.SolverClient)"], cwd="/", env=env)
    assert check.stdout.split() == ["0.2.0", "True", "True"]
    smoke = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", CLIENT_TESTS[0], "-k",
                 "imports_the_client or create_status_solution"], cwd=ROOT,
                env={**env, "SOLVERD_CLIENT_INSTALLED": "1", "SOLVERD_BIN": solverd_binary()})
    assert "2 passed" in smoke.stdout
