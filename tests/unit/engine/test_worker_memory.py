"""The memory estimate against a real worker's growth (issue 22 item 4): for the largest configuration
admission lets through, the estimate is at least the worker's peak growth while it trains, validates
and scores - in a real worker process, as the app runs it.

"Largest admitted" here is the largest of each lab's slider maxima, shrunk step by step until its
estimate fits ALLOWANCE (what the default budget leaves one run) and its estimated time fits a short
test; the data are two training batches and two scoring batches, so the run is short while every
batch - training, evaluation, prediction - is as large as the configuration makes it.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from core.engine.config import ModelConfig, TrainConfig
from core.engine.runs import MB, estimate_run_bytes, run_identity
from core.engine.workers import RunSink, WorkerPool, rss_bytes
from core.sentiment.config import ImdbChoice, SentimentRun

ALLOWANCE = 1_500 * MB  # the default 2.5 GB budget less a server (~0.3 GB) and a warm worker (~0.65 GB)
MAX_TEST_SECONDS = 60.0  # estimated; keeps the test short on a shared 2-core box


class Recorder(RunSink):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.state = ""
        self.message = ""

    def finished(self, output, size: int) -> None:
        self.state = "done"
        self.done.set()

    def failed(self, message: str, detail: str) -> None:
        self.state, self.message = "failed", message + detail
        self.done.set()

    def stopped(self, message: str) -> None:
        self.state, self.message = "stopped", message
        self.done.set()


def _sentiment(units: int, layers: int, bidirectional: bool, batch: int):
    from core.sentiment import jobs

    data = ImdbChoice(num_words=30_000, max_length=500, train_size=2 * batch, test_size=1_024, embedding_dim=256)
    run = SentimentRun(
        data, ModelConfig(cell="LSTM", units=units, layers=layers, bidirectional=bidirectional), TrainConfig(1, batch)
    )
    rng = np.random.default_rng(0)
    n_train = 2 * batch + 400  # two batches, and a tenth held out for validation
    arrays = {
        "x_train": rng.integers(1, 30_000, (n_train, 500), dtype=np.int32),
        "y_train": rng.integers(0, 2, n_train).astype("float32"),
        "x_test": rng.integers(1, 30_000, (1_024, 500), dtype=np.int32),
        "y_test": rng.integers(0, 2, 1_024).astype("float32"),
    }
    return run, jobs.spec(run, arrays, 30_000)


def _stocks(units: int, layers: int, bidirectional: bool, batch: int):
    from core.stocks import forecasting, jobs
    from core.stocks.config import MAX_WINDOW, ForecastRun, ForecastSpec

    forecast = ForecastSpec("many_to_many", "price", window=MAX_WINDOW, val_fraction=0.1, test_fraction=0.3)
    days = MAX_WINDOW + 4 * batch  # windows enough for two training batches and a large test split
    prices = pd.Series(100 + np.cumsum(np.random.default_rng(0).normal(0, 1, days)))
    prices.index = pd.bdate_range("2000-01-03", periods=days)
    model = ModelConfig(pattern="many_to_many", cell="LSTM", units=units, layers=layers, bidirectional=bidirectional)
    run = ForecastRun("synthetic", forecast, model, TrainConfig(1, batch))
    return run, jobs.spec(forecasting.prepare(prices, forecast), run, "synthetic")


LADDER = [  # (units, layers, bidirectional, batch), largest first
    (units, layers, bi, batch)
    for units in (256, 128, 64, 32)
    for layers in (3, 2, 1)
    for bi in (True, False)
    for batch in (512, 256, 128, 64)
]


def _largest_admitted(make):
    for rung in LADDER:
        config, spec = make(*rung)
        _, payload = run_identity("measure", spec)
        estimate = estimate_run_bytes(config, payload)
        if estimate <= ALLOWANCE and config.footprint().cpu_seconds(payload) <= MAX_TEST_SECONDS:
            return rung, config, spec, estimate
    raise AssertionError("nothing admitted")


@pytest.fixture
def pool():
    """A fresh warm worker per case: a worker keeps the heap a run grew, which would hide the next growth."""
    workers = WorkerPool(1, lambda: None, threads=2)
    assert workers.wait_ready(180), "the worker did not warm up"
    yield workers
    workers.close()


@pytest.mark.slow
@pytest.mark.parametrize("lab", [_sentiment, _stocks], ids=["sentiment", "stocks"])
def test_the_estimate_covers_a_real_workers_peak_growth_for_the_largest_admitted_run(pool, lab):
    rung, _, spec, estimate = _largest_admitted(lab)
    worker = pool.workers[0]
    assert worker.ready.wait(180)
    baseline = worker.rss()
    sink = Recorder()
    worker.assign("measure", spec, sink)
    peak = baseline
    while not sink.done.wait(0.02):
        peak = max(peak, rss_bytes(worker.pid))
    assert sink.state == "done", sink.message
    growth = peak - baseline
    print(f"\n{lab.__name__} {rung}: estimate {estimate / MB:.0f} MB, worker grew {growth / MB:.0f} MB "
          f"(baseline {baseline / MB:.0f} MB, peak {peak / MB:.0f} MB)")
    assert estimate >= growth
