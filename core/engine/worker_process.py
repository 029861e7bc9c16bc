"""A training worker process: `python -m core.engine.worker_process FD THREADS warm|cold`.

Started by core.engine.workers.Worker (never by hand) with one end of a socket pair as file
descriptor FD: it imports and warms TensorFlow, then runs the WorkSpecs the server sends over
it until told to exit (or until the server goes away).

TensorFlow's import and warm-up cost a few seconds of CPU. The pool starts with the first page
a visitor opens, so a fresh worker first waits - at most QUIET_WAIT_MAX seconds - for the server
to finish drawing that page (its CPU use falls quiet), instead of taking a core from it. A message
from the server (a run waiting for it, or a nudge) ends the wait at once.
"""

from __future__ import annotations

import os
import sys
import time
from multiprocessing.connection import Connection

QUIET_WAIT_MAX = 8.0  # seconds a fresh worker waits for the server to go quiet before it warms up
QUIET_WINDOW = 0.25  # seconds per CPU sample of the server
QUIET_CPU_SHARE = 0.2  # below this share of one core the server counts as quiet
QUIET_WINDOWS = 2  # ... for this many samples in a row


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used, from /proc; None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def await_quiet_server(conn: Connection, server_pid: int, most: float = QUIET_WAIT_MAX) -> str:
    """Wait until the server is quiet, a message arrives or `most` seconds pass; says which."""
    deadline = time.monotonic() + most
    last, quiet = process_cpu_seconds(server_pid), 0
    while time.monotonic() < deadline:
        if conn.poll(QUIET_WINDOW):
            return "message"
        now = process_cpu_seconds(server_pid)
        if now is None or last is None:
            return "unknown"
        quiet = quiet + 1 if now - last < QUIET_CPU_SHARE * QUIET_WINDOW else 0
        last = now
        if quiet >= QUIET_WINDOWS:
            return "quiet"
    return "timeout"


def main(argv: list[str]) -> None:
    fd, threads, warm = argv
    conn = Connection(int(fd))
    if warm == "warm":
        await_quiet_server(conn, os.getppid())

    from core.engine.workers import worker_main  # imports NumPy and pandas: after the wait

    worker_main(conn, int(threads), warm == "warm")


if __name__ == "__main__":
    main(sys.argv[1:])
