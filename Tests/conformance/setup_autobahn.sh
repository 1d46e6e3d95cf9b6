#!/usr/bin/env bash
# Autobahn|Testsuite needs Python 2.7 (wstest fails at import on Python 3): a virtualenv in .build-conformance/venv,
# made with pyenv's 2.7.18 (PY27) and virtualenv 20.15.1, the last release that runs on Python 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY27=${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python2.7}
mkdir -p .build-conformance && cd .build-conformance
[ -x venv/bin/wstest ] && exit 0
"$PY27" -m pip install -q --target vtools virtualenv==20.15.1
PYTHONPATH=vtools "$PY27" -m virtualenv venv
venv/bin/pip install -q autobahntestsuite
