"""Training a forecaster: build the pattern, train with MSE on the scaled target, score the test range.

This is the lab's TensorFlow module (through core.engine.models and core.engine.trainer);
pages reach it lazily as `stocks.training` (see core/engine/lazy.py), so opening the page
never loads TensorFlow - cutting and scaling the data (core.stocks.forecasting) does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.engine.models import build_model
from core.engine.trainer import Trainer, predict
from core.stocks.config import ForecastOutcome, ForecastRun
from core.stocks.forecasting import ForecastData, ForecastEvaluation, evaluate_forecasts, model_label, outputs_to_steps


def score(model, data: ForecastData, name: str, split: str) -> ForecastEvaluation:
    """The model's forecasts for `split`, in price units, against the baselines on the same windows."""
    steps = outputs_to_steps(predict(model, data.windows[split].x), data.spec.pattern)
    return evaluate_forecasts(data, name, steps, split)


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

    The same network is also scored before training (on the training and the test windows) and
    after it on the training windows: the twin the guided experiments judge learning against.
    """
    spec = data.spec
    phase = on_phase or (lambda _text: None)
    phase("Building the model")
    model = build_model(run.model, spec.input_spec(), spec.output_spec(), seed=run.train.seed)
    name = model_label(run.model)
    untrained = score(model, data, name, "test")
    before = score(model, data, name, "train").model_row["skill vs persistence"]
    trainer = Trainer(model, "mse", ["mae"], run.train)
    result = trainer.fit(
        data.train.x,
        data.train.y,
        validation=(data.validation.x, data.validation.y),
        callbacks=callbacks,
        stop=stop,
    )
    phase("Forecasting the test range")
    evaluation = score(model, data, name, "test")
    after = score(model, data, name, "train").model_row["skill vs persistence"]
    return ForecastOutcome(result, model, run, evaluation, data, prices_label, untrained, (float(before), float(after)))
