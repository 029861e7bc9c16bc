"""Do the requirements resolve to wheels for every Python version we support?

Community Cloud lets the deployer pick the Python version (it ignores runtime.txt); a version
with no `tensorflow-cpu` wheel means a failed install for a teacher who clicks through. The
supported versions are stated once, in pyproject.toml's `requires-python` (">=3.11,<3.14"), and
the README's deploy section names the same list; this asks uv, for each, whether every
pinned requirement has a Linux x86_64 wheel (a resolution only: nothing is installed). Run by tests/run.sh.

    .venv/bin/python tools/check_wheels.py            # every supported version
    .venv/bin/python tools/check_wheels.py 3.14       # one version (expected to fail today)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Community Cloud and the Docker image run Debian (glibc >= 2.28); uv accepts every older manylinux tag too.
PLATFORM = "x86_64-manylinux_2_28"


def supported_versions() -> list[str]:
    """The minor versions `requires-python` allows, e.g. ">=3.11,<3.14" -> 3.11, 3.12, 3.13."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*3\.(\d+)", spec)
    high = re.search(r"<\s*3\.(\d+)", spec)
    if not (low and high):
        raise SystemExit(f"requires-python needs a lower and an upper bound, got {spec!r}")
    return [f"3.{minor}" for minor in range(int(low.group(1)), int(high.group(1)))]


def resolves(version: str) -> tuple[bool, str]:
    """Resolve the locked requirements.txt for one Python on Linux x86_64, wheels only (nothing is installed).

    uv evaluates the lock's markers for the target Python (pip would use the running interpreter's), so a pin
    split by Python version (numpy, soupsieve) is checked as that version would install it."""
    command = [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-header", "--only-binary", ":all:"]
    command += ["--python-platform", PLATFORM, "--python-version", version, str(ROOT / "requirements.txt")]
    command += ["--output-file", os.devnull]
    done = subprocess.run(command, capture_output=True, text=True)
    errors = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return done.returncode == 0, "\n".join(errors[:2])


def main(argv: list[str]) -> int:
    versions = argv or supported_versions()
    failed = []
    with ThreadPoolExecutor(len(versions)) as pool:  # each resolution mostly waits on the package index
        results = list(pool.map(resolves, versions))
    for version, (ok, why) in zip(versions, results, strict=True):
        print(f"Python {version}: {'wheels for every requirement' if ok else 'DOES NOT RESOLVE'}")
        if not ok:
            print("   " + why.replace("\n", "\n   "))
            failed.append(version)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
