"""The run manager talks to any Backend (core.engine.backends) the same way: a fake one, remote and
three runs wide, gets the runs, the stops and the releases, and decides what the manager may not."""

from __future__ import annotations

import time
from typing import Any

from core.engine.backends import Backend, LocalBackend, ThreadBackend
from core.engine.execute import deliver, execute
from core.engine.history import StopSignal
from core.engine.runs import MB, RunManager, RunSettings
from core.engine.training_job import LiveProgress, WorkSpec
from core.engine.workers import RunSink
from tests.unit.engine import run_fixtures as fx


class FakeCluster:
    """A remote backend: it starts what it is given, keeps it until told, and counts what it hears."""

    name = "fake cluster"
    remote = True

    def __init__(self) -> None:
        self.started: dict[str, tuple[Any, RunSink]] = {}
        self.stopped: list[str] = []
        self.released: list[str] = []

    def capacity(self) -> int | None:
        return 3

    def start(self, key: str, spec: Any, sink: RunSink) -> bool:
        self.started[key] = (spec, sink)
        return True

    def finish(self, key: str) -> None:
        spec, sink = self.started.pop(key)
        deliver(execute(spec, LiveProgress(), StopSignal()), sink)

    def stop(self, key: str, reason: str) -> None:
        self.stopped.append(key)
        if key in self.started:
            self.started.pop(key)[1].stopped(reason)

    def others_watching(self, key: str) -> bool:
        return False

    def detach(self, key: str) -> None: ...

    def release(self, key: str) -> None:
        self.released.append(key)

    def can_rehearse(self) -> bool:
        return False

    def rehearse(self, key: str, spec: Any) -> bool:
        return False

    def rss(self) -> int:
        return 0

    def baseline_rss(self) -> int:
        return 0

    def run_rss(self, key: str) -> int:
        return 0

    def pids(self) -> list[int]:
        return []

    def close(self) -> None: ...


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_manager_runs_on_any_backend_through_the_protocol():
    backend = FakeCluster()
    m = RunManager(RunSettings(workers=0, memory_budget=300 * MB, finished_runs=1))
    m.backend, m._capacity = backend, backend.capacity()
    try:
        assert m.max_running == 3 and m.status()["backend"] == "fake cluster"
        runs = [m.submit(f"s{i}", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": i}), None) for i in range(4)]
        assert [r.state for r in runs] == ["running"] * 3 + ["queued"]  # the backend's width, not the setting's
        assert not m.can_rehearse()
        m.stop(runs[0], "s0")
        assert backend.stopped == [runs[0].key] and runs[0].state == "cancelled"
        wait_for(lambda: runs[3].state == "running")  # a slot freed: the next one started
        backend.finish(runs[1].key)
        assert runs[1].state == "done"
        backend.finish(runs[2].key)
        assert runs[1].key in backend.released  # pushed out of the one-run cache: the backend lets it go
    finally:
        m.stop_all(reason="end of test")
        m.close()


def test_every_backend_answers_the_protocol():
    for backend in (ThreadBackend(), LocalBackend.__new__(LocalBackend), FakeCluster()):
        assert isinstance(backend.name, str) and isinstance(backend.remote, bool)
        for method in Backend.__dict__:
            if not method.startswith("_") and callable(getattr(Backend, method)):
                assert callable(getattr(backend, method)), (type(backend).__name__, method)
