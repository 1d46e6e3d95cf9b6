#!/usr/bin/env bash
# Autobahn|Testsuite needs Python 2.7: a virtualenv in .build-conformance/venv (recipe: shared/notes/test-tools.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY27=${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python2.7}
mkdir -p .build-conformance && cd .build-conformance
[ -x venv/bin/wstest ] && exit 0
"$PY27" -m pip install -q --target vtools virtualenv==20.15.1
PYTHONPATH=vtools "$PY27" -m virtualenv venv
venv/bin/pip install -q autobahntestsuite
