"""The Stocks lab's work function, as the run manager runs it (core/engine/runs.py).

Module-level, so a WorkSpec naming it pickles into a worker process; its arguments are plain
data (the cut and scaled windows, the run's settings). TensorFlow loads only when it runs.
"""

from __future__ import annotations

from core import stocks
from core.engine.training_job import WorkSpec
from core.stocks.config import ForecastOutcome, ForecastRun
from core.stocks.forecasting import ForecastData


def train(progress, stop, data: ForecastData, run: ForecastRun, prices_label: str) -> ForecastOutcome:
    """Train the forecaster and score it against the naive baselines on the test days."""
    return stocks.training.train_and_evaluate(
        data, run, callbacks=[progress], stop=stop, on_phase=progress.set_phase, prices_label=prices_label
    )


def spec(data: ForecastData, run: ForecastRun, prices_label: str) -> WorkSpec:
    return WorkSpec(train, (data, run, prices_label))
