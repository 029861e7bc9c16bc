"""What a training run records: the plan, one record per batch and per epoch, the result.

Plain data with no TensorFlow import, so the UI (progress bars, charts) can use it
before - or without - loading the deep-learning stack. The trainer in core.engine.trainer
produces these records; core.engine.training_job collects them for the UI.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Status = Literal["completed", "stopped", "diverged"]


@dataclass(frozen=True)
class TrainingPlan:
    epochs: int
    steps_per_epoch: int
    samples: int
    layer_names: tuple[str, ...]
    metric_names: tuple[str, ...]
    clip_norm: float | None
    clip_value: float | None


@dataclass(frozen=True)
class BatchRecord:
    step: int  # 1-based count of optimiser steps over the whole run
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    loss: float
    metrics: dict[str, float]
    grad_norm: float  # global L2 norm of the raw gradient
    applied_norm: float  # global L2 norm after clipping (what the optimiser used)
    layer_norms: dict[str, float]
    elapsed: float  # seconds since training began


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float
    metrics: dict[str, float]
    val_loss: float | None
    val_metrics: dict[str, float]
    elapsed: float


class Callback:
    """Subscribe to training progress; override what you need. Called on the training thread."""

    def on_train_begin(self, plan: TrainingPlan) -> None: ...

    def on_batch_end(self, record: BatchRecord) -> None: ...

    def on_epoch_end(self, record: EpochRecord) -> None: ...

    def on_train_end(self, result: TrainingResult) -> None: ...


class StopSignal:
    """Thread-safe flag a UI sets; the trainer checks it before every batch."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "Stopped by the user"

    def request(self, reason: str | None = None) -> None:
        if reason and not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


class RunStopped(Exception):
    """Raised between evaluation or scoring batches once the run's Stop was requested: a Stop ends
    the work within one batch, scoring included (core.engine.execute reports the run as stopped)."""


_RUN_STOP: contextvars.ContextVar[StopSignal | None] = contextvars.ContextVar("rnn_playground_run_stop", default=None)


def bind_run_stop(stop: StopSignal | None) -> contextvars.Token:
    """The stop signal of the run this thread executes (core.engine.execute binds it)."""
    return _RUN_STOP.set(stop)


def release_run_stop(token: contextvars.Token) -> None:
    _RUN_STOP.reset(token)


_FIRST_STEP: contextvars.ContextVar[Callable[[Any, Any], None] | None] = contextvars.ContextVar(
    "rnn_playground_first_step", default=None
)


@contextlib.contextmanager
def after_first_step(hook: Callable[[Any, Any], None]) -> Iterator[None]:
    """Within it, every Trainer.fit on this thread calls `hook(trainer, validation)` once, right after its
    first training step (a rehearsal ends there: core.engine.reuse)."""
    token = _FIRST_STEP.set(hook)
    try:
        yield
    finally:
        _FIRST_STEP.reset(token)


def first_step_hook() -> Callable[[Any, Any], None] | None:
    return _FIRST_STEP.get()


def check_run_stop() -> None:
    """Raise RunStopped when the run this thread executes was asked to stop (evaluation, scoring)."""
    stop = _RUN_STOP.get()
    if stop is not None and stop.requested:
        raise RunStopped(stop.reason)


@dataclass
class TrainingResult:
    status: Status
    message: str
    batches: list[BatchRecord] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.batches)

    def batch_frame(self) -> pd.DataFrame:
        return batch_frame(self.batches)

    def epoch_frame(self) -> pd.DataFrame:
        return epoch_frame(self.epochs)


def batch_frame(batches: Sequence[BatchRecord]) -> pd.DataFrame:
    """One row per optimiser step: loss, metrics, global and per-layer gradient norms."""
    rows = []
    for r in batches:
        row: dict[str, Any] = {
            "step": r.step,
            "epoch": r.epoch,
            "batch": r.batch,
            "loss": r.loss,
            **r.metrics,
            "grad_norm": r.grad_norm,
            "applied_norm": r.applied_norm,
            "elapsed_s": r.elapsed,
        }
        row.update({f"grad_norm/{k}": v for k, v in r.layer_norms.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def epoch_frame(epochs: Sequence[EpochRecord]) -> pd.DataFrame:
    """One row per epoch: training and validation loss and metrics."""
    rows = []
    for r in epochs:
        row: dict[str, Any] = {"epoch": r.epoch, "loss": r.loss, **r.metrics}
        if r.val_loss is not None:
            row["val_loss"] = r.val_loss
            row.update({f"val_{k}": v for k, v in r.val_metrics.items()})
        row["elapsed_s"] = r.elapsed
        rows.append(row)
    return pd.DataFrame(rows)
