"""Running a generated program the way a student would: an interpreter of its own (`-I`: no PYTHON* variables,
no user site, no script folder on the path) in an empty folder, so nothing of this project is importable.

One such interpreter per test process runs the scripts one after another (`runpy`, each as `__main__` in a fresh
namespace, after `keras.utils.clear_session()` and with its own environment and folder): TensorFlow is imported
once instead of once per script (5 s of CPU each). Every script seeds itself, so what it prints is what a fresh
interpreter prints; the notebooks (test_*_code.py::test_the_notebook_runs_top_to_bottom) still start a kernel
of their own.

Tolerances for "the script reproduces the run" (same seed, same batches, same initial weights; what is
left is float noise between the two loops, and the Keras-vs-playground differences the scripts state):
accuracy within ACCURACY_POINTS, a loss or error within LOSS_FRACTION of the app's.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import tempfile
from pathlib import Path

from core.codegen.common import LOCAL_ENV, QUICK_ENV, Program

ACCURACY_POINTS = 0.02  # ±2 accuracy points
LOSS_FRACTION = 0.05  # ±5 % of a loss (or error)
_LINE = re.compile(r"^(\w+): (-?[0-9.]+(?:e[-+]?\d+)?|nan|inf)$", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[3]


# The interpreter's loop: one JSON request a line on stdin ({script, cwd, env, unset, out}), one JSON answer a line
# on stdout ({ok, error}); the script's own output goes to its `out` file.
_RUNNER = r"""
import contextlib, json, os, runpy, sys, traceback
answers = os.fdopen(os.dup(1), "w")  # the answers' own channel: whatever a script writes to fd 1 cannot reach it
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
for line in sys.stdin:
    job = json.loads(line)
    for name in job["unset"]:
        os.environ.pop(name, None)
    os.environ.update(job["env"])
    os.chdir(job["cwd"])
    if "keras" in sys.modules:
        sys.modules["keras"].utils.clear_session()
    ok, error = True, ""
    with open(job["out"], "w") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            runpy.run_path(job["script"], run_name="__main__")
        except SystemExit as stop:
            ok, error = stop.code in (None, 0), f"SystemExit({stop.code!r})"
        except BaseException:
            ok, error = False, traceback.format_exc()
    answers.write(json.dumps({"ok": ok, "error": error}) + "\n")
    answers.flush()
"""
_BASE_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


class _Interpreter:
    """The scripts' interpreter (started on first use, again after a crash or a timeout)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.home = Path(tempfile.mkdtemp(prefix="codegen-home-"))

    def run(self, script: Path, env: dict[str, str], timeout: float) -> tuple[bool, str]:
        if self.proc is None or self.proc.poll() is not None:
            start_env = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(self.home), **_BASE_ENV}
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _RUNNER],
                cwd=self.home,
                env=start_env,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            atexit.register(self.close)
        job = {
            "script": script.name,
            "cwd": str(script.parent),
            "env": env,
            "unset": [QUICK_ENV, LOCAL_ENV],
            "out": str(script.with_suffix(".out")),
        }
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        answer = self.proc.stdout.readline() if ready else ""
        if not answer:
            self.close()
            return False, f"no answer within {timeout:.0f} s (the interpreter was stopped)"
        reply = json.loads(answer)
        return reply["ok"], reply["error"]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


_INTERPRETER = _Interpreter()


def run_program(program: Program, folder: Path, local: Path | None = None, timeout: float = 600) -> dict[str, float]:
    """Write the program's script into `folder`, run it cut down (QUICK_RUN=1) and return its printed
    `name: value` lines (its whole output is kept next to it, as <name>.out)."""
    script = folder / program.filename
    script.write_text(program.script())
    env = {QUICK_ENV: "1"}
    if local is not None:
        env[LOCAL_ENV] = str(local)
    ok, error = _INTERPRETER.run(script, env, timeout)
    output = script.with_suffix(".out").read_text() if script.with_suffix(".out").exists() else ""
    assert ok, f"{script.name} failed:\n{output[-3000:]}\n{error[-3000:]}"
    return {name: float(value) for name, value in _LINE.findall(output)}


def ruff_problems(program: Program, folder: Path) -> str:
    """`ruff check` on the script with the project's rules (line length 120, pyflakes, imports, bugbear...);
    '' when it passes."""
    script = folder / f"ruff_{program.filename}"
    script.write_text(program.script())
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(script)],
        capture_output=True,
        text=True,
    )
    return "" if done.returncode == 0 else done.stdout


def assert_no_project_import(program: Program) -> None:
    text = program.script()
    assert not re.search(r"^\s*(from|import)\s+(core|ui|app_pages)\b", text, re.MULTILINE), "imports the project"
