"""Do the requirements resolve to wheels for every Python version we support?

Community Cloud lets the deployer pick the Python version (it ignores runtime.txt); a version
with no `tensorflow-cpu` wheel means a failed install for a teacher who clicks through. The
supported versions are stated once, in pyproject.toml's `requires-python` (">=3.11,<3.14"), and
the README's deploy section names the same list; this asks pip, for each, whether every
requirement has a Linux x86_64 wheel (a dry run: nothing is installed). Run by tests/run.sh.

    .venv/bin/python tools/check_wheels.py            # every supported version
    .venv/bin/python tools/check_wheels.py 3.14       # one version (expected to fail today)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64", "any")


def supported_versions() -> list[str]:
    """The minor versions `requires-python` allows, e.g. ">=3.11,<3.14" -> 3.11, 3.12, 3.13."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*3\.(\d+)", spec)
    high = re.search(r"<\s*3\.(\d+)", spec)
    if not (low and high):
        raise SystemExit(f"requires-python needs a lower and an upper bound, got {spec!r}")
    return [f"3.{minor}" for minor in range(int(low.group(1)), int(high.group(1)))]


def resolves(version: str) -> tuple[bool, str]:
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed"]
    command += ["--only-binary=:all:", "--python-version", version, "-r", str(ROOT / "requirements.txt")]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    done = subprocess.run(command, capture_output=True, text=True)
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR") and "Ignored" not in line]
    return done.returncode == 0, "\n".join(errors[-2:])


def main(argv: list[str]) -> int:
    versions = argv or supported_versions()
    failed = []
    for version in versions:
        ok, why = resolves(version)
        print(f"Python {version}: {'wheels for every requirement' if ok else 'DOES NOT RESOLVE'}")
        if not ok:
            print("   " + why.replace("\n", "\n   "))
            failed.append(version)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
