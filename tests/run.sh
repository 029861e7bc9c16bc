#!/usr/bin/env bash
# The test command (README and .ci/run): venv, requirements, Chromium for the browser
# tests, then the whole suite. Real data beside the checkout (../shared/data) is used
# when present; tests that need it skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# PostgreSQL's server binaries: the rooms store's tests start a throwaway cluster (tests/unit/rooms/conftest.py).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt

export TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/python -m ruff check .
# Every Python version we support must resolve to wheels (Community Cloud lets deployers pick one).
.venv/bin/python tools/check_wheels.py
.venv/bin/python -m pytest -q "$@"
