"""The queue is fair between clients, and a queued run holds its configuration, not its data (issue 22).

Threads mode (RNN_PLAYGROUND_WORKERS=0), one run training at a time."""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest

from core.engine.runs import MB, RunManager, RunSettings, SharedRun
from core.engine.training_job import WorkSpec
from tests.unit.engine import run_fixtures as fx


def manager(**overrides) -> RunManager:
    settings = RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB, **overrides)
    return RunManager(settings)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def holding(progress, stop, data: np.ndarray, limit: float = 60.0):
    """Trains (pretends to) on `data` until stopped."""
    return fx.until_stopped(progress, stop, seed=int(data[0]), limit=limit)


def _spec(seed: int) -> WorkSpec:
    return WorkSpec(fx.until_stopped, (), {"seed": seed})


def _stop_and_wait(m: RunManager, run: SharedRun, session: str) -> None:
    wait_for(lambda: run.state == "running")
    m.stop(run, session)
    assert run.wait(10)


# ----------------------------------------------------------------------------- fair turns between clients


def test_another_clients_first_run_waits_only_for_the_one_training():
    m = manager(max_queue=8, max_queue_per_client=4)
    try:
        flood = [m.submit(f"a{i}", "page", "Page", _spec(i), None, client="10.0.0.1") for i in range(4)]
        wait_for(lambda: flood[0].state == "running")
        honest = m.submit("h", "page", "Page", _spec(100), None, client="10.0.0.2")
        assert m.place(honest).position == 1  # ahead of the flood's three queued runs
        assert [m.place(r).position for r in flood[1:]] == [2, 3, 4]
        _stop_and_wait(m, flood[0], "a0")
        wait_for(lambda: honest.state == "running")
        assert all(r.queued for r in flood[1:])
        _stop_and_wait(m, honest, "h")
        wait_for(lambda: flood[1].state == "running")  # then the flood goes on, in its own arrival order
        assert [r.state for r in flood[2:]] == ["queued", "queued"]
    finally:
        m.stop_all()
        m.close()


def test_turns_go_round_the_clients_a_clients_extra_runs_wait_behind_others():
    m = manager(max_queue=8, max_queue_per_client=4)
    try:
        busy = m.submit("x", "page", "Page", _spec(99), None, client="10.0.0.9")
        wait_for(lambda: busy.state == "running")
        a = [m.submit(f"a{i}", "page", "Page", _spec(i), None, client="10.0.0.1") for i in range(3)]
        b = [m.submit(f"b{i}", "page", "Page", _spec(10 + i), None, client="10.0.0.2") for i in range(2)]
        c = m.submit("c0", "page", "Page", _spec(20), None, client="10.0.0.3")
        expected = [a[0], b[0], c, a[1], b[1], a[2]]
        assert [m.place(r).position for r in expected] == [1, 2, 3, 4, 5, 6]
        _stop_and_wait(m, busy, "x")
        sessions = {id(r): s for r, s in zip(a + b + [c], ["a0", "a1", "a2", "b0", "b1", "c0"], strict=True)}
        for run in expected:  # they start in that order
            wait_for(lambda run=run: run.state == "running")
            assert all(r.queued for r in expected[expected.index(run) + 1 :])
            _stop_and_wait(m, run, sessions[id(run)])
    finally:
        m.stop_all()
        m.close()


def test_sessions_without_an_address_keep_arrival_order():
    m = manager()
    try:
        runs = [m.submit(f"s{i}", "page", "Page", _spec(i), None) for i in range(3)]
        wait_for(lambda: runs[0].state == "running")
        assert [m.place(r).position for r in runs[1:]] == [1, 2]
    finally:
        m.stop_all()
        m.close()


# ----------------------------------------------------------------------------- configuration, not arrays


def _data_spec(seed: int, size: int = 4 * MB) -> WorkSpec:
    data = np.full(size // 8, float(seed))
    return WorkSpec(holding, (data,))


def test_a_queued_run_holds_no_data_and_rebuilds_it_when_it_starts():
    m = manager()
    try:
        busy = m.submit("x", "page", "Page", _spec(99), None)
        wait_for(lambda: busy.state == "running")
        built: list[weakref.ref] = []

        def build() -> WorkSpec:
            spec = _data_spec(7)
            built.append(weakref.ref(spec.args[0]))
            return spec

        queued = m.submit("q", "page", "Page", build(), None, rebuild=build)
        gc.collect()
        assert queued.queued and queued.spec is None
        assert built[0]() is None  # the data it was submitted with is gone while it waits
        assert m.status()["queued"] == 1
        _stop_and_wait(m, busy, "x")
        wait_for(lambda: len(built) == 2)  # built again at dispatch
        wait_for(lambda: queued.progress.snapshot(max_points=2).last is not None)  # and it trains
        assert queued.state == "running"
        _stop_and_wait(m, queued, "q")
        assert queued.output.config == {"seed": 7}
    finally:
        m.stop_all()
        m.close()


def test_a_queued_run_whose_data_changed_while_it_waited_is_not_trained():
    m = manager()
    try:
        busy = m.submit("x", "page", "Page", _spec(99), None)
        wait_for(lambda: busy.state == "running")
        seeds = iter([5, 6])  # the second build differs: another request than the one admitted
        queued = m.submit("q", "page", "Page", _data_spec(next(seeds)), None, rebuild=lambda: _data_spec(next(seeds)))
        failing = m.submit("f", "page", "Page", _spec(1), None, rebuild=lambda: 1 / 0)
        _stop_and_wait(m, busy, "x")
        assert queued.wait(10)
        assert queued.state == "failed" and "changed" in queued.error
        assert failing.wait(10) and failing.state == "failed" and "prepare" in failing.error
    finally:
        m.stop_all()
        m.close()


def test_a_run_that_starts_at_once_uses_the_spec_it_came_with():
    m = manager()
    try:
        calls: list[int] = []
        run = m.submit("s", "page", "Page", _spec(3), None, rebuild=lambda: calls.append(1) or _spec(3))
        wait_for(lambda: run.progress.snapshot(max_points=2).last is not None)
        assert calls == []  # nothing was queued, nothing rebuilt
    finally:
        m.stop_all()
        m.close()


def test_queued_runs_that_rebuild_their_data_do_not_count_against_the_queues_data_bound():
    m = manager(max_queue_bytes=20 * MB)
    try:
        busy = m.submit("x", "page", "Page", _spec(99), None)
        wait_for(lambda: busy.state == "running")
        runs = [
            m.submit(f"q{i}", "page", "Page", _data_spec(i, 16 * MB), None, rebuild=lambda i=i: _data_spec(i, 16 * MB))
            for i in range(1, 4)
        ]
        assert all(r.queued for r in runs)  # 48 MB of requests, none held
        assert m._queued_bytes() == 0
    finally:
        m.stop_all()
        m.close()


@pytest.mark.parametrize("holder", [True, False])
def test_a_run_without_a_rebuild_still_holds_its_data_and_counts(holder: bool):
    m = manager(max_queue_bytes=20 * MB)
    try:
        busy = m.submit("x", "page", "Page", _spec(99), None)
        wait_for(lambda: busy.state == "running")
        rebuild = None if holder else (lambda: _data_spec(1, 16 * MB))
        queued = m.submit("q", "page", "Page", _data_spec(1, 16 * MB), None, rebuild=rebuild)
        assert (queued.spec is not None) is holder
        assert (m._queued_bytes() >= 16 * MB) is holder
    finally:
        m.stop_all()
        m.close()


def test_the_panels_rebuild_drops_only_streamlits_no_context_warning_on_its_own_thread():
    import logging

    from ui.runs import rebuild_quietly
    from ui.streamlit_internals import NO_CONTEXT_LOGGER

    context_logger = logging.getLogger(NO_CONTEXT_LOGGER)
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]

    def start() -> str:
        context_logger.warning("Thread 'x': missing ScriptRunContext! This warning can be ignored")
        context_logger.warning("something else")
        return "spec"

    context_logger.addHandler(handler)
    try:
        assert rebuild_quietly(start)() == "spec"
        assert seen == ["something else"]
        start()  # outside a rebuild the warning is kept
        assert len(seen) == 3
    finally:
        context_logger.removeHandler(handler)
