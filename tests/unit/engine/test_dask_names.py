"""Dask's private names (Scheduler.tasks, TaskState.who_wants, ClientState.client_key) are read in one
place, checked at start-up, and a Dask without them falls back to this replica's own watchers (issue 23).

No cluster here: the scheduler-side functions run against stand-ins, as `run_on_scheduler` would run them."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

pytest.importorskip("distributed")

from core.engine.cluster import ClusterBackend, scheduler_wanters


def _scheduler(**tasks) -> SimpleNamespace:
    return SimpleNamespace(tasks=dict(tasks))


def _task(*clients: str | None) -> SimpleNamespace:
    wanting = [SimpleNamespace(client_key=c) if c is not None else SimpleNamespace() for c in clients]
    return SimpleNamespace(who_wants=wanting or None)  # Dask types who_wants `set | None` (a set of ClientState)


class FakeClient:
    """Runs scheduler functions against a stand-in scheduler, as Client.run_on_scheduler would."""

    def __init__(self, scheduler: object, client_id: str = "me") -> None:
        self.scheduler, self.id, self.calls = scheduler, client_id, 0

    def run_on_scheduler(self, fn, **kwargs):
        self.calls += 1
        return fn(self.scheduler, **kwargs)


def _backend(scheduler: object) -> ClusterBackend:
    backend = object.__new__(ClusterBackend)  # no connection: only the self-check and the Stop question
    backend.client = FakeClient(scheduler)
    backend.knows_wanters = backend._check_dask_internals()
    return backend


def test_the_wanters_are_read_from_the_schedulers_tasks():
    wanters = scheduler_wanters()
    scheduler = _scheduler(k=_task("b", "a"), none=_task())
    assert wanters(scheduler, key="k") == ["a", "b"]
    assert wanters(scheduler, key="none") == []  # who_wants None
    assert wanters(scheduler, key="missing") == []


def test_a_dask_without_the_names_reads_as_unknown_not_as_nobody():
    wanters = scheduler_wanters()
    assert wanters(SimpleNamespace(), key="k") is None  # no Scheduler.tasks
    assert wanters(_scheduler(k=SimpleNamespace()), key="k") is None  # no TaskState.who_wants
    assert wanters(_scheduler(k=_task("a", None)), key="k") is None  # no ClientState.client_key


def test_the_start_up_self_check_passes_on_this_dask_and_fails_without_the_names(caplog):
    assert scheduler_wanters(check=True)(_scheduler()) is True  # the installed distributed has them
    with caplog.at_level(logging.WARNING, logger="core.engine.cluster"):
        backend = _backend(SimpleNamespace())
    assert backend.knows_wanters is False
    assert "who_wants" in caplog.text


def test_stop_asks_the_scheduler_only_when_it_can_and_falls_back_to_this_replica():
    good = _backend(_scheduler(k=_task("me", "other"), mine=_task("me")))
    assert good.knows_wanters
    assert good.others_watching("k") is True  # another replica watches: our Stop only detaches
    assert good.others_watching("mine") is False
    broken = _backend(SimpleNamespace())
    calls = broken.client.calls
    assert broken.others_watching("k") is False  # unknown: this replica's watchers decide
    assert broken.wanted_by("k") is None and broken.client.calls == calls  # not asked again
