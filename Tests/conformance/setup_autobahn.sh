#!/usr/bin/env bash
# Autobahn|Testsuite needs Python 2.7 (wstest fails at import on Python 3): a virtualenv in .build-conformance/venv,
# made with pyenv's 2.7.18 (PY27) and virtualenv 20.15.1, the last release that runs on Python 2.
# Run by `make test` (the quick subset) and `make conformance`; any failure stops them with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY27=${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python2.7}
mkdir -p .build-conformance && cd .build-conformance
[ -x venv/bin/wstest ] && exit 0
fail() { echo "setup_autobahn.sh: $*" >&2; exit 1; }
if [ ! -x "$PY27" ] && command -v pyenv >/dev/null; then
    echo "setup_autobahn.sh: Python 2.7.18 missing, installing it with pyenv" >&2
    pyenv install -s 2.7.18 || fail "pyenv install 2.7.18 failed"
fi
[ -x "$PY27" ] || fail "no Python 2.7 at $PY27 (Autobahn|Testsuite runs only on 2.7): install it (pyenv install 2.7.18) or set PY27"
"$PY27" -m pip install -q --target vtools virtualenv==20.15.1 || fail "could not install virtualenv for Python 2.7"
PYTHONPATH=vtools "$PY27" -m virtualenv -q venv || fail "could not create the Python 2.7 virtualenv"
venv/bin/pip install -q autobahntestsuite || fail "could not install autobahntestsuite into .build-conformance/venv"
[ -x venv/bin/wstest ] || fail "autobahntestsuite installed no wstest"
