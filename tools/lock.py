"""Compile the dependency inputs into exact pins, or check that the compiled files still match them.

    requirements.in      -> requirements.txt       (what Community Cloud, the Dockerfile and the tests install)
    requirements-dev.in  -> requirements-dev.txt   (the same pins plus test and lint tools)

One universal resolution (`uv pip compile --universal`) covers every platform and every supported Python at once;
platform differences become markers (tensorflow-cpu on Linux x86_64, tensorflow elsewhere). uv keeps the pins
already in the output file unless told to upgrade, so compiling again reproduces the same file: that is what
`--check` (and tests/unit/test_lock.py) verifies.

    .venv/bin/python tools/lock.py              # after editing a .in file: add/remove pins, keep the others
    .venv/bin/python tools/lock.py --upgrade    # every pin to the newest allowed version (tools/upgrade.sh)
    .venv/bin/python tools/lock.py --check      # compile into a scratch folder and compare; exit 1 on a difference
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.check_wheels import supported_versions  # noqa: E402

# (input, output, constraints): the dev lock is constrained by the runtime lock, so both agree on every shared pin.
LOCKS: tuple[tuple[str, str, str | None], ...] = (
    ("requirements.in", "requirements.txt", None),
    ("requirements-dev.in", "requirements-dev.txt", "requirements.txt"),
)
COMPILE_COMMAND = "python tools/lock.py"


def compile_command(source: str, output: Path, constraints: Path | None, upgrade: bool = False) -> list[str]:
    """The uv call that compiles one input into `output` (whose existing pins uv keeps unless `upgrade`)."""
    command = [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--universal"]
    command += ["--python-version", supported_versions()[0], "--custom-compile-command", COMPILE_COMMAND]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if upgrade:
        command.append("--upgrade")
    return [*command, str(ROOT / source), "--output-file", str(output)]


def compile_into(folder: Path, upgrade: bool = False) -> None:
    """Compile every lock into `folder` (starting from the pins already there)."""
    for source, output, constraints in LOCKS:
        command = compile_command(source, folder / output, folder / constraints if constraints else None, upgrade)
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"uv pip compile {source} failed:\n{done.stderr.strip()}")


def pins(text: str) -> list[str]:
    """The pin lines (`name==version ; marker`), without uv's header and `# via` notes (which name scratch paths)."""
    return [line for line in text.splitlines() if line and not line.startswith(("#", " "))]


def check() -> list[str]:
    """Compile into a scratch copy of the current locks; the unified diff against them (empty when they match)."""
    with tempfile.TemporaryDirectory(prefix="lock-check-") as scratch:
        folder = Path(scratch)
        for _, output, _ in LOCKS:
            shutil.copy(ROOT / output, folder / output)
        compile_into(folder)
        diff: list[str] = []
        for _, output, _ in LOCKS:
            old, new = (ROOT / output).read_text(), (folder / output).read_text()
            diff += difflib.unified_diff(pins(old), pins(new), output, f"{output} (compiled again)", lineterm="")
        return diff


def main(argv: list[str]) -> int:
    if "--check" in argv:
        diff = check()
        print("\n".join(diff) if diff else "requirements*.txt match their inputs")
        return 1 if diff else 0
    compile_into(ROOT, upgrade="--upgrade" in argv)
    print("compiled " + ", ".join(output for _, output, _ in LOCKS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
