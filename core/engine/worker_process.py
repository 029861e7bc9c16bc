"""A training worker process: `python -m core.engine.worker_process FD THREADS warm|cold [KEEP_MB]`.

Started by core.engine.workers.Worker (never by hand) with one end of a socket pair as file
descriptor FD: it imports and warms TensorFlow, then runs the WorkSpecs the server sends over
it until told to exit (or until the server goes away). Above KEEP_MB of memory after a run it
lets go of the models it keeps for later runs (core.engine.reuse) before the server would retire it.

TensorFlow's import and warm-up cost a few seconds of CPU. The pool starts with the first page
a visitor opens, so a fresh worker first waits - at most QUIET_WAIT_MAX seconds - for the server
to finish drawing that page and the machine to go quiet (a browser on the same host still drawing
it counts too), instead of taking a core from them. A message from the server (a run waiting for
it, or a nudge) ends the wait at once.
"""

from __future__ import annotations

import os
import sys
import time
from multiprocessing.connection import Connection

QUIET_WAIT_MAX = 8.0  # seconds a fresh worker waits for the server to go quiet before it warms up
QUIET_WINDOW = 0.25  # seconds per CPU sample of the server
QUIET_CPU_SHARE = 0.2  # below this share of one core the server counts as quiet
QUIET_MACHINE_SHARE = 0.25  # ... and the whole machine below this share of all its cores
QUIET_WINDOWS = 2  # ... for this many samples in a row
OOM_SCORE_RAISE = 500  # a worker's oom_score_adj above the server's: under memory pressure the kernel kills a worker


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc; None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def machine_busy() -> tuple[float, int] | None:
    """(CPU seconds the machine has been busy, all cores together; its number of cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            lines = f.read().splitlines()
        fields = [int(v) for v in lines[0].split()[1:8]]
    except (OSError, ValueError, IndexError):
        return None
    cores = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK"), max(1, cores)


def await_quiet_server(
    conn: Connection, server_pid: int, most: float = QUIET_WAIT_MAX, machine_share: float | None = QUIET_MACHINE_SHARE
) -> str:
    """Wait until the server (and, unless `machine_share` is None, the machine) is quiet, a message
    arrives or `most` seconds pass; says which."""
    deadline = time.monotonic() + most
    last, machine, quiet = process_cpu_seconds(server_pid), machine_busy(), 0
    while time.monotonic() < deadline:
        if conn.poll(QUIET_WINDOW):
            return "message"
        now, machine_now = process_cpu_seconds(server_pid), machine_busy()
        if now is None or last is None:
            return "unknown"
        calm = now - last < QUIET_CPU_SHARE * QUIET_WINDOW
        if machine_share is not None and machine is not None and machine_now is not None:
            calm = calm and machine_now[0] - machine[0] < machine_share * machine_now[1] * QUIET_WINDOW
        quiet = quiet + 1 if calm else 0
        last, machine = now, machine_now
        if quiet >= QUIET_WINDOWS:
            return "quiet"
    return "timeout"


def raise_oom_score(server_pid: int, amount: int = OOM_SCORE_RAISE) -> int | None:
    """Make this process the kernel's first choice when memory runs out: its `oom_score_adj` set
    `amount` above the server's (at most 1000). A worker that dies is replaced and its run fails with
    a clear message; a server that dies takes every visitor's page. Linux only; returns the value set."""
    try:
        with open(f"/proc/{server_pid}/oom_score_adj") as f:
            server = int(f.read().strip())
        value = min(1000, max(server + amount, 0))
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(value))
    except (OSError, ValueError):
        return None
    return value


def main(argv: list[str]) -> None:
    fd, threads, warm, *keep = argv
    raise_oom_score(os.getppid())
    conn = Connection(int(fd))
    if warm == "warm":
        await_quiet_server(conn, os.getppid())

    from core.engine.workers import worker_main  # imports NumPy and pandas: after the wait

    worker_main(conn, int(threads), warm == "warm", int(keep[0]) * 2**20 if keep else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
