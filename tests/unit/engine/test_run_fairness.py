"""A heavy client's training run yields to a light client's waiting run (issue 22, attack 6).

One address pressing Train from many sessions has one run training and more waiting; a visitor from
another address would wait a whole run of theirs. With RNN_PLAYGROUND_PREEMPT (the app's default) the
heavy client's run yields within a batch, goes back to the queue and starts again from the beginning.

Threads mode (RNN_PLAYGROUND_WORKERS=0), one run training at a time."""

from __future__ import annotations

import time

from core.engine.history import BatchRecord, TrainingPlan, TrainingResult
from core.engine.run import TrainedRun
from core.engine.runs import MB, RunManager, RunSettings, SharedRun
from core.engine.training_job import WorkSpec

LONG_STEPS, LONG_DELAY = 120, 0.05  # a 6 s run (its ETA stays above the 3 s a run near its end keeps)


def timed(progress, stop, steps: int, delay: float, seed: int = 0, linger: float = 0.0) -> TrainedRun:
    """`steps` fake batches `delay` seconds apart, their times real (the queue's ETAs read them); a stop
    takes `linger` seconds to end it (the rest of a batch)."""
    progress.on_train_begin(TrainingPlan(1, steps, steps, ("dense",), (), None, None))
    started, batches = time.monotonic(), []
    for step in range(1, steps + 1):
        if stop.requested:
            time.sleep(linger)
            return TrainedRun(TrainingResult("stopped", stop.reason, batches), None, {"seed": seed})
        time.sleep(delay)
        batches.append(BatchRecord(step, 1, step, 1.0 / step, {}, 1.0, 1.0, {}, time.monotonic() - started))
        progress.on_batch_end(batches[-1])
    return TrainedRun(TrainingResult("completed", "Done.", batches), None, {"seed": seed})


def manager(**overrides) -> RunManager:
    settings = RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB, preempt=True, **overrides)
    return RunManager(settings)


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def long_run(seed: int, linger: float = 0.0) -> WorkSpec:
    return WorkSpec(timed, (LONG_STEPS, LONG_DELAY), {"seed": seed, "linger": linger})


def short_run(seed: int) -> WorkSpec:
    return WorkSpec(timed, (5, 0.01), {"seed": seed})


def training(run: SharedRun) -> bool:
    return run.state == "running" and run.progress.batch_count >= 3


def test_the_app_turns_it_on_and_a_deployer_can_turn_it_off():
    assert RunSettings.from_env({}).preempt
    assert not RunSettings.from_env({"RNN_PLAYGROUND_PREEMPT": "0"}).preempt


def test_a_light_clients_run_starts_within_a_batch_and_the_heavy_clients_run_starts_again_after_it():
    m = manager()
    try:
        flood = [m.submit(f"a{i}", "page", "Page", long_run(i), None, client="10.0.0.2") for i in range(2)]
        wait_for(lambda: training(flood[0]))
        asked = time.monotonic()
        honest = m.submit("h", "page", "Page", short_run(100), None, client="10.0.0.1")
        wait_for(lambda: honest.state != "queued")
        assert time.monotonic() - asked < LONG_STEPS * LONG_DELAY / 2  # not a whole run of the flood's
        assert flood[0].queued and flood[0].yielded == 1 and flood[0].watchers  # its watcher kept its place
        assert m.place(flood[0]).position == 1  # next after the honest run, ahead of its client's later one
        assert honest.wait(10) and honest.state == "done"
        assert flood[0].wait(30) and flood[0].state == "done", flood[0].error
        batches = flood[0].progress.snapshot().batches
        assert len(batches) == LONG_STEPS and batches["step"].tolist() == list(range(1, LONG_STEPS + 1))  # anew
        assert len(flood[0].output.result.batches) == LONG_STEPS
        assert flood[1].wait(30) and flood[1].state == "done" and flood[1].yielded == 0
    finally:
        m.close()


def test_a_client_with_nothing_else_waiting_keeps_its_run():
    m = manager()
    try:
        first = m.submit("a", "page", "Page", long_run(1), None, client="10.0.0.2")
        wait_for(lambda: training(first))
        other = m.submit("b", "page", "Page", short_run(2), None, client="10.0.0.1")
        time.sleep(1.0)
        assert first.state == "running" and not first.yielding and other.queued
        m.stop(first, "a")
        assert first.wait(10) and other.wait(10) and other.state == "done"
    finally:
        m.close()


def test_off_by_default_in_code_the_light_client_waits_its_turn():
    m = RunManager(RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB))
    try:
        flood = [m.submit(f"a{i}", "page", "Page", long_run(i), None, client="10.0.0.2") for i in range(2)]
        wait_for(lambda: training(flood[0]))
        honest = m.submit("h", "page", "Page", short_run(100), None, client="10.0.0.1")
        time.sleep(1.0)
        assert flood[0].state == "running" and honest.queued
        m.stop_all()
    finally:
        m.close()


def test_a_run_yields_once_and_a_stop_while_it_yields_ends_it():
    m = manager()
    try:
        flood = [m.submit(f"a{i}", "page", "Page", long_run(i, 0.5), None, client="10.0.0.2") for i in range(3)]
        wait_for(lambda: training(flood[0]))
        first = m.submit("h1", "page", "Page", short_run(101), None, client="10.0.0.1")
        assert first.wait(15) and first.state == "done"
        wait_for(lambda: training(flood[0]))  # it starts again, and yields no more
        second = m.submit("h2", "page", "Page", short_run(102), None, client="10.0.0.3")
        time.sleep(1.0)
        assert flood[0].state == "running" and flood[0].yielded == 1 and second.queued
        m.stop(flood[0], "a0")
        assert flood[0].wait(10) and flood[0].state in ("done", "cancelled")
        assert second.wait(15) and second.state == "done"  # the next turn is the light client's
        wait_for(lambda: training(flood[1]))
        third = m.submit("h3", "page", "Page", short_run(103), None, client="10.0.0.4")
        wait_for(lambda: flood[1].yielding)  # asked to yield; its batch takes another 0.5 s
        m.stop(flood[1], "a1")  # the visitor's Stop wins over the yield: it ends, it is not queued again
        assert flood[1].wait(10) and flood[1].state in ("done", "cancelled") and flood[1].yielded == 0
        assert third.wait(15) and third.state == "done"
        m.stop_all()
    finally:
        m.close()
