"""A worker retired after a run (grown past RNN_PLAYGROUND_RETIRE_MB) never takes a run with it.

The class bench's room scenario stalled after a retirement: the finished run's outcome was delivered
(and the manager dispatched the next queued run at once, on another thread) before the pool judged
the worker's size, so the next run could be handed to the very worker being retired - which was told
to exit and killed, its run never ending and its slot never freed."""

from __future__ import annotations

import threading

from core.engine.runs import MB, RunManager, RunSettings
from core.engine.training_job import WorkSpec
from core.engine.workers import RunSink, WorkerPool
from tests.unit.engine import run_fixtures as fx


class _Recorder(RunSink):
    def __init__(self, on_finish=None) -> None:
        self.ended = threading.Event()
        self.state = ""
        self._on_finish = on_finish

    def finished(self, output, size: int) -> None:
        self.state = "done"
        if self._on_finish is not None:
            self._on_finish()  # as the manager does: the next queued run is dispatched when one ends
        self.ended.set()

    def failed(self, message: str, detail: str) -> None:
        self.state = f"failed: {message}"
        self.ended.set()

    def stopped(self, message: str) -> None:
        self.state = "stopped"
        self.ended.set()


def test_a_run_dispatched_as_the_previous_one_ends_is_never_handed_to_the_retiring_worker():
    pending: list[tuple[str, WorkSpec, _Recorder]] = []
    lock = threading.Lock()
    holder: dict[str, WorkerPool] = {}

    def dispatch() -> None:
        with lock:
            if not pending or (worker := holder["pool"].idle_worker()) is None:
                return
            key, spec, sink = pending.pop(0)
            worker.assign(key, spec, sink)

    # Every run retires its worker (1 byte); the second run outlasts the 5 s a retired worker gets to exit.
    pool = WorkerPool(1, dispatch, threads=1, retire_rss_bytes=1, warm=False)
    holder["pool"] = pool
    try:
        assert pool.wait_ready(180)
        first_worker = pool.workers[0]
        second = _Recorder()
        pending.append(("second", WorkSpec(fx.counting, (30, 0.25)), second))
        first = _Recorder(on_finish=dispatch)
        first_worker.assign("first", WorkSpec(fx.counting, (2,)), first)
        assert first.ended.wait(60) and first.state == "done"
        assert second.ended.wait(60), "the run handed over as the previous one ended never ended"
        assert second.state == "done"
        assert pool.replaced >= 1 and first_worker not in pool.workers
    finally:
        pool.close()


def test_queued_runs_all_finish_when_every_run_retires_its_worker_even_below_a_fresh_workers_size():
    """RNN_PLAYGROUND_RETIRE_MB below what a warmed-up worker takes: every run retires its worker, and a fresh
    worker is never retired before its first run (it was replaced forever, and nothing started)."""
    runs = 3
    settings = RunSettings(
        workers=1, max_running=1, memory_budget=64_000 * MB, tf_threads=1, retire_rss=1, queue_abandon_after=900.0
    )
    manager = RunManager(settings)
    try:
        assert manager.pool.wait_ready(180)
        submitted = [
            manager.submit(f"s{i}", "page", "Page", WorkSpec(fx.counting, (6, 0.3), {"seed": i}), None, client=f"c{i}")
            for i in range(runs)
        ]
        for run in submitted:
            assert run.wait(240), f"stalled: {manager.status()}"
            assert run.state == "done", run.error
        assert manager.pool.replaced >= runs - 1  # the last one may still be being judged
    finally:
        manager.close()
