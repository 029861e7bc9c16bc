"""AppTest: many sessions, one server - shared runs, the queue, one run per visitor, the memory
budget, abandoned sessions and a crashed worker, as the pages show them.

Each AppTest is one browser session; they share this process's run manager (and its worker
processes) exactly as visitors share a server's."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.helpers import app_at_page, assert_no_exception, run_until, texts, training_finished
from ui import runs

PAGE = "app_pages/sentiment.py"
TINY = "Tiny: seconds, for a quick demo"


def sentiment_session(preset: str | None = TINY):
    at = app_at_page(PAGE, timeout=300)
    if preset:
        at.sidebar.selectbox(key="sentiment:preset").set_value(preset).run()
    assert_no_exception(at)
    return at


def run_of(at):
    assert "panel:sentiment" in at.session_state, [e.value for e in at.error] + [w.value for w in at.warning]
    return at.session_state["panel:sentiment"].job


def until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


@pytest.fixture
def threads_manager(monkeypatch):
    """A fresh manager training on threads, one run at a time (fast to start; same contract)."""

    def make(**env):
        monkeypatch.setenv("RNN_PLAYGROUND_WORKERS", "0")
        monkeypatch.setenv("RNN_PLAYGROUND_MAX_RUNS", "1")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        runs.run_manager.clear()
        return runs.run_manager()

    yield make
    manager = runs.existing_manager()
    if manager is not None and manager.pool is None:
        manager.close()
        runs.run_manager.clear()
        runs._current.clear()


def test_two_sessions_share_one_run_and_a_third_gets_it_finished(with_shared_data):
    a, b, c = sentiment_session(), sentiment_session(), sentiment_session()
    manager = runs.run_manager()
    before = manager.started_runs
    a.button(key="sentiment:train").click().run()
    b.button(key="sentiment:train").click().run()
    assert run_of(a) is run_of(b)  # one run, two watchers
    for at in (a, b):
        run_until(at, training_finished("sentiment"), timeout=240)
        assert_no_exception(at)
    accuracies = [next(m.value for m in at.metric if m.label == "Test accuracy") for at in (a, b)]
    assert accuracies[0] == accuracies[1]

    c.button(key="sentiment:train").click().run()  # the same request, after it finished
    assert run_of(c) is run_of(a) and not run_of(c).running
    assert "had already been trained on this server" in texts(c)
    assert next(m.value for m in c.metric if m.label == "Test accuracy") == accuracies[0]
    assert manager.started_runs == before + 1  # three presses, one training


def test_stop_by_one_of_two_watchers_only_detaches_it(with_shared_data):
    a, b = sentiment_session(preset=None), sentiment_session(preset=None)  # the default preset: long enough
    a.button(key="sentiment:train").click().run()
    b.button(key="sentiment:train").click().run()
    run = run_of(a)
    assert run_of(b) is run
    until(lambda: run.state == "running" and run.progress.batch_count > 0, timeout=180)
    b.button(key="sentiment:stop").click().run()
    assert "You left this shared run" in texts(b)
    assert not b.button(key="sentiment:train").disabled
    a.run()
    assert run.running and not run.stop_signal.requested
    assert not a.button(key="sentiment:stop").disabled
    a.button(key="sentiment:stop").click().run()  # the last watcher's Stop stops it - at once, scoring included
    run_until(a, training_finished("sentiment"), timeout=120)
    assert run.state == "cancelled" and run.output is None
    assert any("before its results were scored" in w.value for w in a.warning)


def test_the_queue_shows_each_session_its_place(with_shared_data, threads_manager):
    manager = threads_manager()
    sessions = [sentiment_session(preset=None) for _ in range(3)]
    for epochs, at in zip((2, 3, 4), sessions, strict=True):  # three distinct runs
        at.sidebar.slider(key="sentiment:0:epochs").set_value(epochs).run()
        at.button(key="sentiment:train").click().run()
    for at in sessions:
        at.run()
    assert run_of(sessions[0]).state == "running"
    places = [manager.place(run_of(at)) for at in sessions[1:]]
    assert [p.position for p in places] == [1, 2]
    progress_texts = [at.get("progress")[0].proto.text for at in sessions[1:]]
    assert "place 1 of 2" in progress_texts[0] and "place 2 of 2" in progress_texts[1]
    assert "starts in about" in progress_texts[1]

    # the first in line walks away (closes the tab): once it has not polled for the queue's timeout, it is gone
    walked_away = run_of(sessions[1])
    walked_away.watchers[sessions[1].session_state[runs._SESSION_KEY]] -= manager.settings.queue_abandon_after + 1
    manager.sweep()
    assert walked_away.state == "cancelled"
    sessions[1].run()
    assert "left the queue before it started" in texts(sessions[1])
    sessions[2].run()
    assert "place 1 of 1" in sessions[2].get("progress")[0].proto.text
    for at in (sessions[0], sessions[2]):
        at.button(key="sentiment:stop").click().run()


def test_one_run_per_visitor_across_pages(with_shared_data, threads_manager):
    threads_manager()
    at = sentiment_session(preset=None)
    at.button(key="sentiment:train").click().run()
    first = run_of(at)
    at.switch_page("app_pages/gradient_lab.py").run()
    at.button(key="gradient-lab:train").click().run()
    assert any("You already have a run training on **Sentiment" in w.value for w in at.warning)
    assert "panel:gradient-lab" not in at.session_state
    at.button(key="gradient-lab:stop-other").click().run()  # stop the other and train this one
    assert first.wait(60) and first.stop_signal.requested  # stopped at once (scoring included): nothing kept
    assert first.state == "cancelled" and "scored" in first.notice
    assert at.session_state["panel:gradient-lab"].job.running
    assert_no_exception(at)


def test_a_run_too_big_for_the_memory_budget_is_refused_with_advice(with_shared_data, threads_manager):
    threads_manager(RNN_PLAYGROUND_MEMORY_MB="256")
    at = sentiment_session(preset=None)
    at.button(key="sentiment:train").click().run()
    refusal = " ".join(e.value for e in at.error)
    assert "more than this server can give one run" in refusal
    assert "fewer training examples" in refusal and "fewer units" in refusal
    assert "panel:sentiment" not in at.session_state
    assert_no_exception(at)


def test_a_crashed_worker_is_a_clear_error_and_the_server_goes_on(with_shared_data):
    at = sentiment_session(preset=None)
    manager = runs.run_manager()
    assert manager.pool is not None and manager.pool.wait_ready(180)
    at.button(key="sentiment:train").click().run()
    run = run_of(at)
    def worker_pid() -> int | None:
        return next((w.pid for w in manager.pool.workers if w.current and w.current.run_id == run.key), None)

    until(lambda: worker_pid() is not None and run.progress.batch_count > 0)
    os.kill(worker_pid(), signal.SIGKILL)  # as the kernel's OOM killer would
    run_until(at, training_finished("sentiment"), timeout=60)
    message = " ".join(e.value for e in at.error)
    assert "worker stopped unexpectedly" in message and "press Train to retry" in message
    assert "Traceback" not in message
    assert_no_exception(at)
    at.sidebar.selectbox(key="sentiment:preset").set_value(TINY).run()  # the server still trains
    at.button(key="sentiment:train").click().run()
    run_until(at, training_finished("sentiment"), timeout=240)
    assert at.success and "Test accuracy" in texts(at)
