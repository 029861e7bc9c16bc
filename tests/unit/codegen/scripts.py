"""Running a generated program the way a student would: a fresh interpreter (`-I`: no PYTHON* variables,
no user site, no script folder on the path) in an empty folder, so nothing of this project is importable.

Tolerances for "the script reproduces the run" (same seed, same batches, same initial weights; what is
left is float noise between the two loops, and the Keras-vs-playground differences the scripts state):
accuracy within ACCURACY_POINTS, a loss or error within LOSS_FRACTION of the app's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core.codegen.common import LOCAL_ENV, QUICK_ENV, Program

ACCURACY_POINTS = 0.02  # ±2 accuracy points
LOSS_FRACTION = 0.05  # ±5 % of a loss (or error)
_LINE = re.compile(r"^(\w+): (-?[0-9.]+(?:e[-+]?\d+)?|nan|inf)$", re.MULTILINE)
ROOT = Path(__file__).resolve().parents[3]


def run_program(program: Program, folder: Path, local: Path | None = None, timeout: float = 600) -> dict[str, float]:
    """Write the program's script into `folder`, run it cut down (QUICK_RUN=1) and return its printed
    `name: value` lines (its whole output is kept next to it, as <name>.out)."""
    script = folder / program.filename
    script.write_text(program.script())
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": str(folder),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",
        QUICK_ENV: "1",
    }
    if local is not None:
        env[LOCAL_ENV] = str(local)
    done = subprocess.run(
        [sys.executable, "-I", script.name], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout
    )
    script.with_suffix(".out").write_text(done.stdout)
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return {name: float(value) for name, value in _LINE.findall(done.stdout)}


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
