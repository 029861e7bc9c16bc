"""Training a forecaster: build the pattern, train with MSE on the scaled target, score the test range.

This is the lab's TensorFlow module (through core.engine.models and core.engine.trainer);
pages reach it lazily as `stocks.training` (see core/engine/lazy.py), so opening the page
never loads TensorFlow - cutting and scaling the data (core.stocks.forecasting) does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from core.engine.models import build_model
from core.engine.trainer import Trainer, predict
from core.stocks.config import ForecastOutcome, ForecastRun
from core.stocks.forecasting import ForecastData, ForecastEvaluation, evaluate_forecasts, model_label, outputs_to_steps


def score(model, data: ForecastData, name: str) -> tuple[ForecastEvaluation, ForecastEvaluation]:
    """The model's forecasts on the training and the test windows (one predict call), in price units,
    each against the baselines on the same windows."""
    x = np.concatenate([data.train.x, data.test.x])
    steps = outputs_to_steps(predict(model, x), data.spec.pattern)
    n = len(data.train)
    return evaluate_forecasts(data, name, steps[:n], "train"), evaluate_forecasts(data, name, steps[n:], "test")


def train_and_evaluate(
    data: ForecastData,
    run: ForecastRun,
    callbacks: Sequence = (),
    stop=None,
    on_phase: Callable[[str], None] | None = None,
    prices_label: str = "",
) -> ForecastOutcome:
    """Train `run.model` with `run.train` on the windows of `data` (cut for `run.forecast`) and
    score its test-range forecasts against the baselines.

    The same network is also scored with its initial weights (kept aside, put back for one predict after
    training, so the first training step is not delayed) on the training and the test windows: the twin
    the guided experiments judge learning against.
    """
    spec = data.spec
    phase = on_phase or (lambda _text: None)
    phase("Building the model")
    model = build_model(run.model, spec.input_spec(), spec.output_spec(), seed=run.train.seed)
    initial = model.get_weights()
    trainer = Trainer(model, "mse", ["mae"], run.train)
    result = trainer.fit(
        data.train.x,
        data.train.y,
        validation=(data.validation.x, data.validation.y),
        callbacks=callbacks,
        stop=stop,
    )
    phase("Forecasting the test range")
    name = model_label(run.model)
    fitted, evaluation = score(model, data, name)
    trained = model.get_weights()
    model.set_weights(initial)
    before, untrained = score(model, data, name)
    model.set_weights(trained)
    skills = (float(before.model_row["skill vs persistence"]), float(fitted.model_row["skill vs persistence"]))
    return ForecastOutcome(result, model, run, evaluation, data, prices_label, untrained, skills)
