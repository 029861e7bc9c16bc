"""A finished run as the board keeps it: no model, just its page, label, link, held-out score and curves.

`entry_of(...)` reads a lab's outcome (a `core.engine.run.TrainedRun` subclass) by duck typing, so
this module imports no lab: the held-out score is the outcome's own test score where it has one
(`test_accuracy`, the Gradient lab's `test_score`, Shakespeare's validation bits, a translator's
exact match), else the last epoch's validation value of the page's metric, else its validation loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.engine import compare as cmp
from core.engine.compare import headline  # noqa: F401 - a run's default label, for ui/rooms.py
from core.engine.history import TrainingResult
from core.engine.run import TrainedRun

CURVE_POINTS = 60  # training points per curve kept in the database (validation: one per epoch)
LOWER_IS_BETTER = ("loss", "mse", "mae", "bits", "error", "perplexity")


@dataclass(frozen=True)
class RunEntry:
    page: str  # the training panel's key
    label: str
    params: dict[str, str]  # the link's query parameters (the run's configuration)
    score: float | None
    metric: str  # what the score is, in words ("test accuracy")
    lower_is_better: bool
    curves: list[dict] = field(repr=False)  # {quantity, curve, epochs, value}
    status: str = "completed"
    seconds: float = 0.0
    settings: dict[str, str] = field(default_factory=dict)  # the configuration's leaves by name, as text


def lower_is_better(metric: str) -> bool:
    name = metric.lower()
    return any(word in name for word in LOWER_IS_BETTER) and "accuracy" not in name


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def held_out_score(output: Any, metric: str | None, metric_label: str | None) -> tuple[float | None, str, bool]:
    """(score, what it is, lower is better) of a lab's outcome: its own `held_out()` (core.engine.run: test
    accuracy, test MSE, exact match, bits per character, RMSE), else the page metric's last validation value."""
    own = output.held_out() if isinstance(output, TrainedRun) else None
    if own is not None and (value := _finite(own.value)) is not None:
        return value, own.name, not own.higher_is_better
    result: TrainingResult | None = getattr(output, "result", None)
    last = result.epochs[-1] if result is not None and result.epochs else None
    if last is not None and metric and (value := _finite(last.val_metrics.get(metric))) is not None:
        name = f"validation {metric_label or metric}"
        return value, name, lower_is_better(metric)
    if last is not None and (value := _finite(last.val_loss)) is not None:
        return value, "validation loss", True
    return None, f"validation {metric_label or metric or 'loss'}", lower_is_better(metric or "loss")


def curves_of(result: TrainingResult, metric: str | None, points: int = CURVE_POINTS) -> list[dict]:
    """Loss (and the page's metric) per epoch of training: a thinned running mean plus the validation points."""
    record = cmp.RunRecord(0, "run", None, result)
    out: list[dict] = []
    for quantity in ("loss", metric) if metric else ("loss",):
        frame = cmp.curves_frame([record], quantity, max_points=points)
        for curve, epochs, value in zip(frame["curve"], frame["epochs"], frame["value"], strict=True):
            out.append({"quantity": quantity, "curve": curve, "epochs": round(float(epochs), 4), "value": float(value)})
    return out


MAX_SETTINGS = 60


def settings_of(config: Any) -> dict[str, str]:
    """The configuration's leaf settings as text ("model cell": "LSTM", "train clip norm": "off")."""
    if config is None:
        return {}
    flat = cmp.flatten_config(config)
    out = {}
    for name, value in list(flat.items())[:MAX_SETTINGS]:
        text = "off" if value is None else ", ".join(map(str, value)) if isinstance(value, tuple | list) else str(value)
        out[str(name)[:60]] = text[:80]
    return out


def entry_of(
    page: str,
    output: Any,
    label: str,
    params: Mapping[str, str],
    metric: str | None = None,
    metric_label: str | None = None,
    config: Any = None,
) -> RunEntry | None:
    """The board's entry for a finished (or stopped) run; None when it has no records (a failed run)."""
    result: TrainingResult | None = getattr(output, "result", None)
    if result is None or not result.batches:
        return None
    score, name, lower = held_out_score(output, metric, metric_label)
    return RunEntry(
        page=page,
        label=label,
        params=dict(params),
        score=score,
        metric=name,
        lower_is_better=lower,
        curves=curves_of(result, metric),
        status=result.status,
        seconds=float(result.seconds),
        settings=settings_of(config if config is not None else getattr(output, "config", None)),
    )
