"""Admission caps (issue 22): one admission path for runs and rehearsals, declared footprints, a time
budget per run, a bounded queue, the models sessions hold, and workers the kernel kills first.

Threads mode (no worker processes) except where a real worker is the point; see
test_worker_memory.py for the estimate measured against a worker's real growth."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import pytest

from core.engine.config import ModelConfig, TrainConfig
from core.engine.footprint import Footprint, Recurrent
from core.engine.runs import MB, AdmissionError, QueueFull, RunManager, RunSettings, estimate_run_bytes, run_identity
from core.engine.training_job import WorkSpec
from core.engine.workers import rss_bytes
from core.sentiment.config import PRESETS as SENTIMENT_PRESETS
from core.sentiment.config import ImdbChoice, SentimentRun
from tests.unit.engine import run_fixtures as fx


class FakePool:
    """Stands in for the worker pool: records what it is asked to rehearse, trains nothing."""

    def __init__(self) -> None:
        self.rehearsed: list[str] = []
        self.workers: list = []

    def rehearse(self, key: str, spec: WorkSpec) -> bool:
        self.rehearsed.append(key)
        return True

    def rss(self) -> int:
        return 0

    def baseline_rss(self) -> int:
        return 0

    def idle_worker(self):
        return None

    def pids(self) -> list[int]:
        return []

    def close(self) -> None: ...


def manager(**overrides) -> RunManager:
    settings = dict(workers=0, max_running=1, memory_budget=64_000 * MB)
    settings.update(overrides)
    return RunManager(RunSettings(**settings))


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


HUGE = SentimentRun(
    ImdbChoice(num_words=30_000, max_length=500, train_size=25_000, embedding_dim=256),
    ModelConfig(cell="LSTM", units=256, layers=3, bidirectional=True),
    TrainConfig(epochs=50, batch_size=512),
)


# ----------------------------------------------------------------------------- one admission path


def test_a_rehearsal_passes_the_same_admission_as_a_run():
    """A link can choose what an idle worker rehearses on page view: a rehearsal that admission would
    refuse as a run never reaches a worker; one it admits does."""
    pool = FakePool()
    m = RunManager(RunSettings(workers=0, memory_budget=rss_bytes() + 2000 * MB), pool=pool)
    try:
        with pytest.raises(AdmissionError):
            m.submit("s1", "sentiment", "Sentiment", WorkSpec(fx.counting, (3,)), HUGE)
        assert m.rehearse("sentiment", WorkSpec(fx.counting, (3,)), HUGE) is False
        assert pool.rehearsed == []
        tiny = SENTIMENT_PRESETS["Tiny: seconds, for a quick demo"]
        assert m.rehearse("sentiment", WorkSpec(fx.counting, (3,)), tiny) is True
        assert pool.rehearsed == [run_identity("sentiment", WorkSpec(fx.counting, (3,)))[0]]
    finally:
        m.close()


def test_a_rehearsal_waits_when_it_does_not_fit_in_memory_now():
    pool = FakePool()
    pool.rss = lambda: 10_000 * MB  # the workers are big right now
    m = RunManager(RunSettings(workers=0, memory_budget=rss_bytes() + 10_100 * MB), pool=pool)
    try:
        config = SENTIMENT_PRESETS["Tiny: seconds, for a quick demo"]
        assert estimate_run_bytes(config, 0) > 100 * MB
        assert m.rehearse("sentiment", WorkSpec(fx.counting, (3,)), config) is False
        assert pool.rehearsed == []
    finally:
        m.close()


# ----------------------------------------------------------------------------- declared sizes


@dataclass(frozen=True)
class Renamed:
    """A configuration whose field names would fool a guess (`units`, `max_length`, `vocab`...)."""

    units: int = 100_000
    max_length: int = 100_000
    vocab: int = 100_000
    batch_size: int = 100_000

    def footprint(self) -> Footprint:
        return Footprint(Recurrent("GRU", 8), steps=10, batch_size=8, epochs=1, train_examples=80)


def test_sizes_are_declared_by_the_configuration_not_guessed_from_field_names():
    declared = Renamed().footprint().memory_bytes(1_000)
    assert estimate_run_bytes(Renamed(), 1_000) == declared
    assert declared < 200 * MB


def test_the_estimate_counts_evaluation_and_prediction_batches_and_the_data():
    """Validation runs in batches of at least 256 and scoring in 512: a run training in batches of 16
    holds far larger batches when it evaluates (the old estimate ignored them)."""
    small_batch = replace(HUGE, train=TrainConfig(epochs=1, batch_size=16))
    footprint = small_batch.footprint()
    assert footprint.eval_batch_bytes() > 10 * footprint.train_batch_bytes()
    assert estimate_run_bytes(small_batch, 0) >= footprint.eval_batch_bytes() + footprint.train_batch_bytes()
    assert estimate_run_bytes(small_batch, 100 * MB) - estimate_run_bytes(small_batch, 0) >= 300 * MB  # data copies


def test_every_labs_run_configuration_declares_its_footprint():
    from core.attention.config import IMDB_PRESETS, TRANSLATION_PRESETS, AttentionPageRun
    from core.gradients.config import PRESETS as GRADIENT_PRESETS
    from core.gradients.config import ComparisonConfig
    from core.shakespeare.config import PRESETS as CHAR_PRESETS
    from core.shakespeare.config import DataChoice, ShakespeareRun
    from core.stocks.config import PRESETS as STOCK_PRESETS
    from core.stocks.config import ForecastRun

    configs = [
        *SENTIMENT_PRESETS.values(),
        *IMDB_PRESETS.values(),
        *(AttentionPageRun(run, twin=True) for run in TRANSLATION_PRESETS.values()),
        *GRADIENT_PRESETS.values(),
        *(ComparisonConfig(lab, (lab.source.length,)) for lab in GRADIENT_PRESETS.values()),
        *(ShakespeareRun(DataChoice(), run) for run in CHAR_PRESETS.values()),
        *(ForecastRun("SPY", p.forecast, p.model, p.train) for p in STOCK_PRESETS.values()),
    ]
    for config in configs:
        footprint = config.footprint()
        assert isinstance(footprint, Footprint), type(config)
        assert footprint.memory_bytes(0) > 0 and footprint.cpu_seconds(1_000_000) > 0


# ----------------------------------------------------------------------------- a time budget per run


def test_every_sentiment_preset_fits_the_time_budget_and_a_marathon_is_refused_with_what_to_shrink():
    m = manager()
    try:
        for name, preset in SENTIMENT_PRESETS.items():
            payload = preset.data.max_length * 4 * (preset.data.train_size + preset.data.test_size + 2_000)
            assert m.admit(name, payload, preset).seconds <= m.settings.max_run_seconds, name
        marathon = replace(HUGE, model=ModelConfig(units=64), data=ImdbChoice(max_length=200))
        assert estimate_run_bytes(marathon, 0) < m.settings.memory_budget
        with pytest.raises(AdmissionError) as refused:
            m.submit("s1", "sentiment", "Sentiment", WorkSpec(fx.counting, (3,)), marathon)
        message = str(refused.value)
        assert "minutes" in message and "steps" in message and "fewer epochs" in message
        assert m.active_run("s1") is None
    finally:
        m.close()


def test_a_run_training_far_past_its_time_allowance_is_stopped():
    m = manager(max_run_seconds=1.0, overrun_factor=2.0)
    try:
        run = m.submit("s1", "page", "Page", WorkSpec(fx.until_stopped), None)
        wait_for(lambda: run.state == "running")
        m.sweep(now=run.started + 1.5)
        assert not run.stop_signal.requested
        m.sweep(now=run.started + 2.5)
        assert run.stop_signal.requested and "time limit" in run.stop_signal.reason
        assert run.wait(10)
    finally:
        m.close()


# ----------------------------------------------------------------------------- the queue, bounded


def _busy(m: RunManager) -> None:
    first = m.submit("busy", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 99}), None)
    wait_for(lambda: first.state == "running")


def test_the_queue_is_bounded_in_length_and_per_client_address():
    m = manager(max_queue=3, max_queue_per_client=2)
    try:
        _busy(m)
        m.submit("a1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 1}), None, client="10.0.0.1")
        m.submit("a2", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 2}), None, client="10.0.0.1")
        with pytest.raises(QueueFull, match="address"):
            m.submit("a3", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 3}), None, client="10.0.0.1")
        m.submit("b1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 4}), None, client="10.0.0.2")
        with pytest.raises(QueueFull, match="full"):
            m.submit("c1", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 5}), None, client="10.0.0.3")
        assert m.status()["queued"] == 3
    finally:
        m.stop_all()
        m.close()


def test_a_queued_run_and_a_silent_watcher_have_a_maximum_age():
    m = manager(max_queue_age=100.0, watcher_max_silence=50.0)
    m._is_alive = lambda session: True  # connected (a tab left open on another page)
    try:
        _busy(m)
        watched = m.submit("w", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 1}), None)
        m.sweep(now=watched.submitted + 40)
        assert watched.queued  # a connected visitor keeps its place for a while
        m.sweep(now=watched.submitted + 60)
        assert watched.state == "cancelled"  # silent past watcher_max_silence, although connected
        old = m.submit("o", "page", "Page", WorkSpec(fx.until_stopped, (), {"seed": 2}), None)
        m.touch(old, "o")
        old.watchers["o"] = old.submitted + 101  # it keeps polling...
        m.sweep(now=old.submitted + 101)
        assert old.state == "cancelled" and "queue longer" in old.notice  # ...but waited too long
    finally:
        m.stop_all()
        m.close()


def test_queued_data_is_bounded_and_does_not_shrink_what_a_newcomer_may_run():
    arrays = np.random.default_rng(0).random((200 * MB // 8,))  # 200 MB of data, held by the queued run's spec
    m = manager(max_queue_bytes=250 * MB, max_running=1)
    try:
        _busy(m)
        queued = m.submit("q", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": int(arrays[0] * 0)}), None)
        heavy = m.submit("h", "page", "Page", WorkSpec(fx.until_stopped, (arrays,)), None)
        assert heavy.queued and queued.queued
        with pytest.raises(QueueFull, match="data"):
            m.submit("x", "page", "Page", WorkSpec(fx.until_stopped, (arrays[: 60 * MB // 8],)), None)
        # What a newcomer may run is measured without the queue's data: a budget of this process
        # less the queued 200 MB, plus the newcomer's estimate, admits it.
        newcomer = SENTIMENT_PRESETS["Tiny: seconds, for a quick demo"]
        estimate = estimate_run_bytes(newcomer, 0)
        m.settings = replace(m.settings, memory_budget=rss_bytes() - 150 * MB + estimate)
        assert m.admit("n", 0, newcomer).estimate == estimate
        del arrays
    finally:
        m.stop_all()
        m.close()


# ----------------------------------------------------------------------------- models sessions hold


def test_finished_models_sessions_hold_are_bounded_and_the_oldest_let_go():
    m = manager(held_bytes=1, finished_runs=16)  # the newest is always kept
    try:
        first = m.submit("s1", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": 1}), None)
        assert first.wait(10) and first.state == "done"
        assert m.held_bytes() > 0
        second = m.submit("s2", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": 2}), None)
        assert second.wait(10) and second.output is not None
        wait_for(lambda: first.evicted)
        assert first.output is None and m.held_bytes() == second.size
        again = m.submit("s1", "page", "Page", WorkSpec(fx.counting, (3,), {"seed": 1}), None)
        assert again is not first  # the let-go run is not served from the cache: it trains again
        assert again.wait(10) and again.output is not None
    finally:
        m.close()


# ----------------------------------------------------------------------------- the kernel's choice


def test_a_worker_process_is_the_kernels_first_choice_when_memory_runs_out():
    if not os.path.exists("/proc/self/oom_score_adj"):
        pytest.skip("Linux only")
    code = (
        "import os; from core.engine.worker_process import raise_oom_score; "
        "print(raise_oom_score(os.getppid())); print(open('/proc/self/oom_score_adj').read())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    set_value, actual = out.stdout.split()
    with open("/proc/self/oom_score_adj") as f:
        server = int(f.read())
    assert int(actual) == int(set_value) > server
