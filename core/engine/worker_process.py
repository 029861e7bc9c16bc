"""A training worker process: `python -m core.engine.worker_process FD THREADS warm|cold`.

Started by core.engine.workers.Worker (never by hand) with one end of a socket pair as file
descriptor FD: it imports and warms TensorFlow, then runs the WorkSpecs the server sends over
it until told to exit (or until the server goes away).
"""

from __future__ import annotations

import sys

from core.engine.workers import connect_back, worker_main


def main(argv: list[str]) -> None:
    fd, threads, warm = argv
    worker_main(connect_back(int(fd)), int(threads), warm == "warm")


if __name__ == "__main__":
    main(sys.argv[1:])
