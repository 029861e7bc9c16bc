#!/usr/bin/env bash
# Upgrade the locked dependencies as a reviewed change, never a surprise:
#   1. re-resolve requirements*.in to the newest versions they allow (tools/lock.py --upgrade rewrites
#      requirements.txt and requirements-dev.txt in place),
#   2. install exactly those pins into a scratch virtual environment (the project's .venv is left alone),
#   3. check the wheels for every supported Python and run the fast tests there,
#   4. show what moved. Review `git diff requirements*.txt`, run the full suite (VENV=<scratch> bash tests/run.sh),
#      then commit; `git checkout requirements*.txt` undoes it.
# Usage: bash tools/upgrade.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
SCRATCH="$(mktemp -d -t rnn-upgrade-XXXXXX)"
echo "scratch venv: $SCRATCH/venv"
"$PYTHON" -m venv "$SCRATCH/venv"
"$SCRATCH/venv/bin/python" -m pip install -q uv
"$SCRATCH/venv/bin/python" tools/lock.py --upgrade
"$SCRATCH/venv/bin/python" -m uv pip install -q --python "$SCRATCH/venv/bin/python" -r requirements-dev.txt
"$SCRATCH/venv/bin/python" tools/check_wheels.py
VENV="$SCRATCH/venv" bash tests/run.sh --fast "$@"
echo
git --no-pager diff --stat -- requirements.txt requirements-dev.txt
git --no-pager diff -U0 -- requirements.txt | grep -E '^[-+][a-z]' || echo "no pin moved"
echo "kept for a full run: VENV=$SCRATCH/venv bash tests/run.sh   (rm -r $SCRATCH when done)"
