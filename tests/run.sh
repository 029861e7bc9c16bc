#!/usr/bin/env bash
# The test command (README and .ci/run).
#   bash tests/run.sh           everything: venv, the locked requirements, Chromium for the browser tests, lint,
#                               the whole suite (slowest 15 shown) with the wheel check for every supported Python beside it
#   bash tests/run.sh --fast    the inner loop: lint and every test that needs no browser, no Dask cluster and no
#                               long real-data training (markers: see pyproject.toml); no installs, no network
# Further arguments go to pytest (`-n 0`: no parallel workers). Real data beside the checkout (../shared/data) is
# used when present; tests that need it skip without it. VENV names another virtual environment (tools/upgrade.sh
# uses a scratch one).
# Both tiers spread the tests over the cores with pytest-xdist (at most 4 workers: each holds TensorFlow and its own
# run manager); tests/conftest.py keeps a module's tests on one worker (one module fixture) and hands the browser
# tests out one by one (one live server per worker). Each run has its own temporary folder: concurrent runs on one
# machine never share /tmp/pytest-of-$USER.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export TF_CPP_MIN_LOG_LEVEL=2
BASETEMP="$(mktemp -d "${TMPDIR:-/tmp}/rnn-playground-pytest-XXXXXX")"
# One data cache for the whole run (every xdist worker and every live server it starts): the real IMDb is tokenised
# once per run, not once per process (writes are atomic: core/data/disk_cache.py).
DATA_CACHE="$(mktemp -d "${TMPDIR:-/tmp}/rnn-playground-cache-XXXXXX")"
export RNN_PLAYGROUND_CACHE="${RNN_PLAYGROUND_CACHE:-$DATA_CACHE}"
WHEELS_LOG="$(mktemp "${TMPDIR:-/tmp}/rnn-playground-wheels-XXXXXX")"  # the wheel check's output (below)
trap 'rm -rf "$BASETEMP" "$DATA_CACHE" "$WHEELS_LOG"' EXIT
PARALLEL=(-n auto --maxprocesses 4 --dist loadgroup --basetemp "$BASETEMP")

if [ "${1:-}" = "--fast" ]; then
  shift
  "$VENV/bin/python" -m ruff check .
  "$VENV/bin/python" -m pytest -q -m "not browser and not cluster and not slow" --durations=15 "${PARALLEL[@]}" "$@"
  exit
fi

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
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# The lock: exact versions of everything (requirements-dev.txt = requirements.txt's pins + test tools).
"$VENV/bin/python" -m pip install -q -r requirements-dev.txt

"$VENV/bin/python" -m ruff check .
# Every Python version we support must resolve to wheels (Community Cloud lets deployers pick one). The check mostly
# waits on the package index, so it runs beside the suite and its verdict is read at the end.
"$VENV/bin/python" tools/check_wheels.py >"$WHEELS_LOG" 2>&1 &
WHEELS=$!
STATUS=0
"$VENV/bin/python" -m pytest -q --durations=15 "${PARALLEL[@]}" "$@" || STATUS=$?
WHEELS_STATUS=0
wait "$WHEELS" || WHEELS_STATUS=$?
cat "$WHEELS_LOG"
[ "$WHEELS_STATUS" -eq 0 ] || { echo "tools/check_wheels.py: a supported Python does not resolve (above)"; STATUS=1; }
exit "$STATUS"
