"""What every bench script shares: the page lists (derived from core/labs.py), a free loopback port, the real app
started as `streamlit run app.py` and stopped with every process under it, and process CPU and memory through
psutil (Linux and macOS alike, no /proc parsing).

Run as a script, a bench finds this module beside it (`from harness import ...`); imported as `bench.<name>`
(the tests), through the package (`from bench.harness import ...`). Either way the repository root is put on
sys.path here, so `core` imports without PYTHONPATH.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import labs  # noqa: E402 - after the path is set

# view name -> URL path (with query) of every page and extra view, Home first (bench/page_open.py)
PAGE_VIEWS: dict[str, str] = labs.bench_views()
# page URL path -> key of the training panel whose default preset bench/in_app.py times
TRAINING_PANELS: dict[str, str] = labs.bench_training_panels()
HEALTH = "/_stcore/health"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    return [*command, "--browser.gatherUsageStats", "false"]


def server_env(data: Path | None = None, cache: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    if data is not None and Path(data).is_dir():
        env["RNN_PLAYGROUND_DATA"] = str(data)
    if cache is not None:
        env["RNN_PLAYGROUND_CACHE"] = str(cache)
    return {**env, **extra}


def start_server(port: int, env: Mapping[str, str], log: Path, new_session: bool = False) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:`port`, its output appended to `log` (not yet waited for)."""
    with open(log, "a") as out:
        return subprocess.Popen(
            server_command(port), cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 120.0, log: Path | None = None) -> float:
    """Seconds until the server answers its health check; RuntimeError if it exits or stays silent."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log_tail(log)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=2) as r:
            if r.status == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {HEALTH} within {timeout:.0f} s:\n{log_tail(log)}")


def stop_server(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM (the app closes its worker pool), then SIGKILL whatever is left of this server's own processes."""
    tree = process_tree(proc.pid) if proc.poll() is None else []
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for pid in tree[1:]:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()  # only this server's own children, by id


@contextlib.contextmanager
def server(data: Path | None, cache: Path | None, log: Path, **extra_env: str) -> Iterator[tuple[str, int]]:
    """The app on a free port; yields (url, pid) once its health check answers, stops it on the way out."""
    port = free_port()
    proc = start_server(port, server_env(data, cache, **extra_env), log)
    try:
        wait_healthy(proc, port, 90, log)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop_server(proc, grace=20)


def log_tail(log: Path | None, lines: int = 30) -> str:
    if log is None:
        return ""
    with contextlib.suppress(OSError):
        return "\n".join(Path(log).read_text(errors="replace").splitlines()[-lines:])
    return ""


# ----------------------------------------------------------------------------- processes (psutil)


def process_tree(root: int) -> list[int]:
    """`root` and every process under it, root first; [] once it is gone."""
    try:
        parent = psutil.Process(root)
        return [root, *(child.pid for child in parent.children(recursive=True))]
    except psutil.Error:
        return []


def rss_mb(pid: int) -> float | None:
    """Resident memory of one process in MB; None once it is gone."""
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return None


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process; NaN once it is gone."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return float("nan")
    return times.user + times.system


def cmdline(pid: int) -> str:
    """A process's command line as one string ("" once it is gone)."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()
