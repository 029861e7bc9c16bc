"""The run manager: shared runs, the admission queue, one run per session, the memory budget,
abandoned sessions. These use threads mode (RNN_PLAYGROUND_WORKERS=0: the same manager, the work
on threads in this process); test_workers.py runs the same contract through worker processes."""

from __future__ import annotations

import time

import pytest

from core.engine.config import ModelConfig, TrainConfig
from core.engine.runs import (
    MB,
    AdmissionError,
    BusyElsewhere,
    RunManager,
    RunSettings,
    SharedRun,
    estimate_run_bytes,
    run_identity,
)
from core.engine.training_job import WorkSpec
from core.engine.workers import rss_bytes
from core.sentiment.config import ImdbChoice, SentimentRun
from tests.unit.engine import run_fixtures as fx


def SENTIMENT_LIKE(units: int, max_length: int, batch_size: int) -> SentimentRun:
    return SentimentRun(
        ImdbChoice(max_length=max_length), ModelConfig(units=units), TrainConfig(batch_size=batch_size)
    )


def manager(**overrides) -> RunManager:
    settings = RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB, **overrides)
    return RunManager(settings)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_identity_is_everything_that_determines_the_run():
    a, size = run_identity("p", WorkSpec(fx.counting, (5,), {"seed": 1}))
    assert size > 0
    assert run_identity("p", WorkSpec(fx.counting, (5,), {"seed": 1}))[0] == a
    assert run_identity("p", WorkSpec(fx.counting, (5,), {"seed": 2}))[0] != a  # the seed
    assert run_identity("q", WorkSpec(fx.counting, (5,), {"seed": 1}))[0] != a  # the page
    assert run_identity("p", WorkSpec(fx.until_stopped, (), {"seed": 1}))[0] != a  # the function


def test_identical_requests_share_one_running_run():
    m = manager()
    spec = WorkSpec(fx.until_stopped)
    first = m.submit("s1", "page", "Page", spec, None)
    second = m.submit("s2", "page", "Page", WorkSpec(fx.until_stopped), None)
    assert second is first
    assert set(first.watchers) == {"s1", "s2"}
    wait_for(lambda: first.progress.batch_count > 0)
    assert m.started_runs == 1
    m.stop(first, "s1")
    m.stop(first, "s2")
    assert first.wait(10)


def test_a_finished_run_is_shared_without_training_again():
    m = manager()
    run = m.submit("s1", "page", "Page", WorkSpec(fx.counting, (3,)), None)
    assert run.wait(10) and run.state == "done"
    again = m.submit("s2", "page", "Page", WorkSpec(fx.counting, (3,)), None)
    assert again is run and again.state == "done"
    assert again.output.result.steps == 3
    assert m.started_runs == 1


def test_a_stopped_run_is_not_shared_a_new_press_trains_again():
    m = manager()
    run = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    wait_for(lambda: run.state == "running")
    assert m.stop(run, "s1") == "stopped"
    assert run.wait(10) and run.output.result.status == "stopped"
    again = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    assert again is not run
    m.stop(again, "s1")


def test_stop_by_one_of_two_watchers_only_detaches_it():
    m = manager()
    run = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    m.submit("s2", "page", "Page", WorkSpec(fx.until_stopped), None)
    wait_for(lambda: run.state == "running")
    assert m.stop(run, "s1") == "detached"
    time.sleep(0.2)
    assert run.state == "running" and not run.stop_signal.requested
    assert m.active_run("s1") is None and m.active_run("s2") is run
    assert m.stop(run, "s2") == "stopped"
    assert run.wait(10) and run.output.result.status == "stopped"


def test_the_queue_runs_in_arrival_order_and_shows_places():
    m = manager()
    m._durations["page"] = 30.0  # what the ETA of a queued run is made of
    runs = [m.submit(f"s{i}", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": i}), None) for i in range(4)]
    wait_for(lambda: runs[0].state == "running")
    assert [r.state for r in runs] == ["running", "queued", "queued", "queued"]
    places = [m.place(r) for r in runs[1:]]
    assert [p.position for p in places] == [1, 2, 3]
    assert all(p.waiting == 3 for p in places)
    etas = [p.eta_seconds for p in places]
    assert etas == sorted(etas) and etas[2] - etas[1] == pytest.approx(30.0, abs=0.5)
    assert m.place(runs[0]) is None
    for i, run in enumerate(runs):  # each stop lets the next one in, in order
        wait_for(lambda run=run: run.state == "running")
        assert all(r.state == "queued" for r in runs[i + 1 :])
        m.stop(run, f"s{i}")
        assert run.wait(10)
    assert m.started_runs == 4


def test_leaving_the_queue_moves_everyone_behind_up():
    m = manager()
    runs = [m.submit(f"s{i}", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": i}), None) for i in range(3)]
    wait_for(lambda: runs[0].state == "running")
    assert m.stop(runs[1], "s1") == "left-queue"
    assert runs[1].state == "cancelled"
    assert m.place(runs[2]).position == 1
    for i in (0, 2):
        wait_for(lambda i=i: runs[i].state == "running")
        m.stop(runs[i], f"s{i}")


def test_one_session_holds_one_run_across_pages():
    m = manager()
    run = m.submit("s1", "sentiment", "Sentiment", WorkSpec(fx.until_stopped), None)
    with pytest.raises(BusyElsewhere) as refused:
        m.submit("s1", "stocks", "Stock prices", WorkSpec(fx.counting, (3,)), None)
    assert refused.value.other is run
    assert "Sentiment" in str(refused.value)
    assert m.submit("s1", "sentiment", "Sentiment", WorkSpec(fx.until_stopped), None) is run  # the same run is fine
    m.stop(run, "s1")
    assert run.wait(10)
    other = m.submit("s1", "stocks", "Stock prices", WorkSpec(fx.counting, (3,)), None)  # free again
    assert other.wait(10) and other.state == "done"


def test_a_run_that_can_never_fit_the_memory_budget_is_refused_with_advice():
    m = RunManager(RunSettings(workers=0, max_running=1, memory_budget=300 * MB))
    big = SENTIMENT_LIKE(units=4096, max_length=2000, batch_size=512)
    with pytest.raises(AdmissionError) as refused:
        m.submit("s1", "page", "Page", WorkSpec(fx.counting, (3,)), big)
    message = str(refused.value)
    assert "MB" in message and "fewer units" in message and "shorter sequences" in message
    assert m.active_run("s1") is None


def test_a_run_that_does_not_fit_now_waits_for_memory():
    m = manager()
    first = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    wait_for(lambda: first.state == "running")
    room = rss_bytes() + int(1.5 * first.estimate)  # this process and one run's estimate, not two
    m.settings = RunSettings(workers=0, max_running=2, memory_budget=room)
    second = m.submit("s2", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 2}), None)
    time.sleep(0.3)
    assert second.state == "queued"
    assert "memory" in second.progress.snapshot().phase
    m.stop(first, "s1")
    wait_for(lambda: second.state == "running")
    m.stop(second, "s2")


def test_the_memory_estimate_grows_with_the_model_and_the_data():
    small = estimate_run_bytes(SENTIMENT_LIKE(units=16, max_length=50, batch_size=32), 1_000_000)
    assert estimate_run_bytes(SENTIMENT_LIKE(units=256, max_length=50, batch_size=32), 1_000_000) > small
    assert estimate_run_bytes(SENTIMENT_LIKE(units=16, max_length=500, batch_size=32), 1_000_000) > small
    assert estimate_run_bytes(SENTIMENT_LIKE(units=16, max_length=50, batch_size=32), 50_000_000) > small


def test_an_abandoned_session_leaves_the_queue_and_an_unwatched_run_stops():
    m = manager(queue_abandon_after=5.0, abandon_after=20.0)
    running = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    queued = m.submit("s2", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 2}), None)
    wait_for(lambda: running.state == "running")
    now = time.monotonic()
    m.touch(running, "s1")
    m.sweep(now + 6)  # s2 has not polled for 6 s: it leaves the queue; s1 is within its 20 s
    assert queued.state == "cancelled"
    assert running.state == "running" and not running.stop_signal.requested
    m.sweep(now + 25)  # nobody has watched the training run for 25 s: it stops, keeping what it learned
    assert running.wait(10) and running.output.result.status == "stopped"
    assert "nobody watched" in running.output.result.message


def one_training_one_queued(alive: dict[str, bool]) -> tuple[RunManager, SharedRun, SharedRun]:
    """One slot: s1's run trains, s2's waits; `alive` is what the server says about each session."""
    m = RunManager(RunSettings(workers=0, max_running=1, memory_budget=64_000 * MB), is_alive=alive.get)
    running = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
    queued = m.submit("s2", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 2}), None)
    wait_for(lambda: running.state == "running")
    return m, running, queued


def test_a_closed_tab_leaves_the_queue_after_the_grace_period():
    alive = {"s1": True, "s2": True}
    m, running, queued = one_training_one_queued(alive)
    alive["s2"] = False
    m.sweep(time.monotonic() + 2)  # within the grace period: a reconnect keeps the place
    assert queued.state == "queued"
    m.touch(running, "s1")
    m.sweep(time.monotonic() + 11)
    assert queued.state == "cancelled"
    m.stop(running, "s1")


def test_a_failed_run_reports_a_message_and_is_not_shared():
    m = manager()
    run = m.submit("s1", "page", "Page", WorkSpec(fx.failing), None)
    assert run.wait(10) and run.state == "failed"
    assert "bad input" in run.error
    assert m.submit("s1", "page", "Page", WorkSpec(fx.failing), None) is not run


def test_finished_runs_are_kept_within_count_and_memory():
    m = manager(finished_runs=2)
    runs = [m.submit("s", "page", "Page", WorkSpec(fx.counting, (2,), {"seed": i}), None) for i in range(1)]
    for i in range(1, 4):
        assert runs[-1].wait(10)
        runs.append(m.submit("s", "page", "Page", WorkSpec(fx.counting, (2,), {"seed": i}), None))
    assert runs[-1].wait(10)
    assert m.status()["finished_cached"] == 2
    assert m.submit("s", "page", "Page", WorkSpec(fx.counting, (2,), {"seed": 3}), None) is runs[3]
    assert m.submit("s", "page", "Page", WorkSpec(fx.counting, (2,), {"seed": 0}), None) is not runs[0]


def test_settings_come_from_the_environment_with_safe_defaults():
    s = RunSettings.from_env({"RNN_PLAYGROUND_WORKERS": "3", "RNN_PLAYGROUND_MEMORY_MB": "abc"})
    assert s.workers == 3 and s.max_running == 3 and s.memory_budget == 2500 * MB
    s = RunSettings.from_env({"RNN_PLAYGROUND_WORKERS": "0", "RNN_PLAYGROUND_MAX_RUNS": "4"})
    assert s.workers == 0 and s.max_running == 4
    s = RunSettings.from_env({"RNN_PLAYGROUND_WORKERS": "1", "RNN_PLAYGROUND_MAX_RUNS": "4"})
    assert s.max_running == 1  # never more runs at once than workers
    assert RunSettings.from_env({}).rehearsals
    assert not RunSettings.from_env({"RNN_PLAYGROUND_REHEARSALS": "0"}).rehearsals


def test_a_connected_visitor_on_another_page_keeps_its_place_in_the_queue():
    alive = {"s1": True, "s2": True}
    m, running, queued = one_training_one_queued(alive)
    m.touch(running, "s1")
    m.sweep(time.monotonic() + m.settings.queue_abandon_after + 5)  # s2 hasn't polled, but is connected
    assert queued.state == "queued"
    m.stop(queued, "s2")
    m.stop(running, "s1")


def test_the_server_does_not_clear_keras_after_every_script_run():
    """Training is in workers: Streamlit's per-rerun keras.backend.clear_session() (and its garbage
    collection) would only burn the server's CPU, once per session per second."""
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    import ui.runs  # noqa: F401 - installs the replacement on import (app.py imports it)

    cleared = []
    original = keras.backend.clear_session
    keras.backend.clear_session = lambda *a, **k: cleared.append(1)
    try:
        script_runner._clean_problem_modules()
    finally:
        keras.backend.clear_session = original
    assert cleared == []
