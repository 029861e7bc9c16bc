"""Module-level work functions for the run-manager tests (a worker process imports them by name)."""

from __future__ import annotations

import os
import time

import numpy as np

from core.engine.history import BatchRecord, TrainingPlan, TrainingResult
from core.engine.run import TrainedRun


def _record(step: int, loss: float) -> BatchRecord:
    return BatchRecord(step, 1, step, loss, {}, 1.0, 1.0, {"dense": 1.0}, 0.01 * step)


def counting(progress, stop, steps: int = 5, delay: float = 0.0, seed: int = 0) -> TrainedRun:
    """`steps` fake batches (loss 1/step), `delay` seconds apart; stops early when asked."""
    progress.on_train_begin(TrainingPlan(1, steps, steps, ("dense",), (), None, None))
    batches = []
    for step in range(1, steps + 1):
        if stop.requested:
            return TrainedRun(TrainingResult("stopped", stop.reason, batches), None, {"seed": seed})
        record = _record(step, 1.0 / step)
        batches.append(record)
        progress.on_batch_end(record)
        time.sleep(delay)
    return TrainedRun(TrainingResult("completed", "Done.", batches), None, {"seed": seed})


def until_stopped(progress, stop, seed: int = 0, limit: float = 60.0) -> TrainedRun:
    """Trains (pretends to) until stopped, at most `limit` seconds."""
    progress.on_train_begin(TrainingPlan(1, 1000, 1000, ("dense",), (), None, None))
    deadline, step, batches = time.monotonic() + limit, 0, []
    while not stop.requested and time.monotonic() < deadline:
        step += 1
        batches.append(_record(step, 1.0))
        progress.on_batch_end(batches[-1])
        time.sleep(0.02)
    return TrainedRun(TrainingResult("stopped", stop.reason, batches), None, {"seed": seed})


def crashing(progress, stop) -> TrainedRun:
    """A worker that dies mid-run, as one killed for memory would."""
    progress.set_phase("About to crash")
    os._exit(3)


def failing(progress, stop) -> TrainedRun:
    raise ValueError("bad input")


def tiny_keras(progress, stop, x: np.ndarray, y: np.ndarray) -> TrainedRun:
    """A real (tiny) GRU trained by the instrumented trainer; its model comes back to the server."""
    from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
    from core.engine.models import build_model
    from core.engine.trainer import Trainer

    model = build_model(ModelConfig(cell="GRU", units=4), InputSpec(length=x.shape[1]), OutputSpec())
    progress.put_extra("pid", os.getpid())
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=2, batch_size=16))
    return TrainedRun(trainer.fit(x, y, callbacks=[progress], stop=stop), model, {"units": 4})


def tiny_keras_seeded(progress, stop, x: np.ndarray, y: np.ndarray, seed: int) -> TrainedRun:
    """A tiny GRU run from `seed`; says how many runs this process has handed a kept model
    (core.engine.reuse) so far."""
    from core.engine import reuse
    from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig
    from core.engine.models import build_model
    from core.engine.trainer import Trainer

    config = ModelConfig(cell="GRU", units=4, dropout=0.2)
    model = build_model(config, InputSpec(length=x.shape[1]), OutputSpec(), seed=seed)
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], TrainConfig(epochs=2, batch_size=16, seed=seed))
    result = trainer.fit(x, y, validation=(x, y), callbacks=[progress], stop=stop)
    return TrainedRun(result, model, {"seed": seed, "reused": reuse.reused_count()})
