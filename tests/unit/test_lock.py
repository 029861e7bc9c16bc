"""The locked installs (issue 23): requirements.txt and requirements-dev.txt are compiled from their .in files
by tools/lock.py, every line an exact pin; compiling again reproduces them; what the Dockerfile, Community Cloud
and tests/run.sh install is that lock."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tools import lock

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)(\s*;\s*(?P<marker>.+))?$")
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: str) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, marker)] of a compiled file; fails on any line that is not an exact pin."""
    found: dict[str, list[tuple[str, str]]] = {}
    for line in lock.pins((ROOT / path).read_text(encoding="utf-8")):
        match = PIN.match(line)
        assert match, f"{path}: not an exact pin: {line!r}"
        found.setdefault(_normal(match["name"]), []).append((match["version"], match["marker"] or ""))
    return found


def direct(path: str) -> set[str]:
    """The names an input file asks for (its own lines, not the files it includes)."""
    names = set()
    for raw in (ROOT / path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(_normal(REQUIREMENT.match(line)["name"]))
    return names


@pytest.mark.parametrize(("source", "output"), [(s, o) for s, o, _ in lock.LOCKS])
def test_every_line_is_an_exact_pin_and_every_input_is_locked(source: str, output: str):
    locked = pins(output)
    assert len(locked) > 50  # the whole tree, not only the direct dependencies
    missing = direct(source) - set(locked)
    assert not missing, f"{source} asks for {sorted(missing)}, which {output} does not pin: run tools/lock.py"
    if source == "requirements-dev.in":
        assert direct("requirements.in") <= set(locked), "requirements-dev.txt lacks a runtime dependency"


def test_the_runtime_lock_keeps_the_tensorflow_split_and_the_added_dependencies():
    locked = pins("requirements.txt")
    (cpu,) = locked["tensorflow-cpu"]
    (full,) = locked["tensorflow"]
    assert "sys_platform == 'linux'" in cpu[1] and "platform_machine == 'x86_64'" in cpu[1]
    assert "sys_platform != 'linux'" in full[1] and cpu[0] == full[0]
    for name in ("streamlit", "keras", "distributed", "sqlalchemy", "psycopg", "psycopg-binary", "nbformat",
                 "vl-convert-python", "psutil"):
        assert name in locked, name
    assert "pytest" not in locked and "ruff" not in locked  # the tools stay in the dev lock


def test_the_dev_lock_installs_the_same_versions_the_app_deploys_with():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    differing = {name: (runtime[name], dev[name]) for name in runtime if dev.get(name) != runtime[name]}
    assert not differing
    for name in ("pytest", "pytest-timeout", "pytest-xdist", "playwright", "ruff", "nbclient", "ipykernel", "uv"):
        assert name in dev, name


def test_compiling_again_reproduces_both_locks():
    """tools/lock.py --check: a scratch copy of the locks compiled again from the .in files is identical."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lock.py"), "--check"], capture_output=True, text=True, timeout=300
    )
    unreachable = ("Failed to fetch", "Could not connect", "dns error", "error sending request")
    if done.returncode != 0 and any(word in done.stderr for word in unreachable):
        pytest.skip(f"the package index is unreachable: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_supported_pythons_bound_the_lock():
    """The universal lock is compiled for the oldest supported Python, so it covers every supported one."""
    command = lock.compile_command("requirements.in", ROOT / "requirements.txt", None)
    assert command[command.index("--python-version") + 1] == "3.11"
    assert "--universal" in command
