"""Traced training steps kept between runs of the same shape, in a training worker.

Before a run's first batch TensorFlow traces and optimises its training step: about 1.2 s for the
default Sentiment GRU, 2 s for Attention's encoder-decoder, every run, because a traced step
belongs to the model it was traced with. A worker process therefore keeps the models it has
trained, with their traced steps, and hands a kept model to the next run that builds the same
structure:

1. the run's builder still builds a fresh model from the run's seed (a tenth of a second), so its
   initial weights (and dropout seed states) are exactly those of a run without reuse;
2. they are copied into a kept model of the same builder and arguments, and the run gets that
   model; its Trainer finds the step it traced before and puts the optimiser back to its start;
3. the same graph from the same state gives the same numbers as a fresh run (tests pin it,
   loss by loss and weight by weight).

Off unless a process turns it on (`enable`): scripts, tests and cluster workers trace as before.
A training worker turns it on and calls `give_back` once a run's outcome has been pickled, so a
kept model is never handed to a second run while the first run's outcome still uses it.

`rehearsal()` is the same mechanism ahead of time: a worker with nothing to do runs the request a
page is showing (before anyone presses Train), the Trainer traces and runs one step and stops
(`RehearsalDone`), and the kept model with its traced step waits for the real run.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.engine.history import after_first_step

CAPACITY = 6  # kept models per worker (a default Sentiment model and its steps: about 30 MB)


class RehearsalDone(Exception):
    """Raised by the Trainer in a rehearsal once its steps are traced: the rest of the run is skipped."""


@dataclass
class _Kept:
    key: tuple
    built: Any  # what the builder returned (a keras.Model, or an object holding several)
    trained: Any  # the keras.Model a Trainer trains
    steps: dict = field(default_factory=dict)  # Trainer's settings -> its traced steps


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.on = False
        self.capacity = CAPACITY
        self.free: OrderedDict[tuple, list[_Kept]] = OrderedDict()  # least recently used first
        self.lent: list[_Kept] = []
        self.reused = 0  # runs that got a kept model (for tests and the worker's log)

    def take(self, key: tuple, signature: list) -> _Kept | None:
        with self.lock:
            for kept in self.free.get(key, []):
                if _signature(kept.trained) == signature:
                    self.free[key].remove(kept)
                    self.lent.append(kept)
                    self.reused += 1
                    return kept
        return None

    def lend(self, kept: _Kept) -> None:
        with self.lock:
            self.lent.append(kept)

    def give_back(self) -> None:
        with self.lock:
            for kept in self.lent:
                self.free.setdefault(kept.key, []).append(kept)
                self.free.move_to_end(kept.key)
            self.lent = []
            while sum(len(v) for v in self.free.values()) > self.capacity:
                oldest = next(iter(self.free))
                self.free[oldest].pop(0)
                if not self.free[oldest]:
                    del self.free[oldest]

    def steps_for(self, model: Any) -> dict | None:
        with self.lock:
            for kept in self.lent:
                if kept.trained is model:
                    return kept.steps
        return None

    def clear(self) -> None:
        with self.lock:
            self.free.clear()
            self.lent = []
            self.reused = 0


_POOL = _Pool()


def enable(capacity: int = CAPACITY) -> None:
    """Keep traced models in this process from now on (a training worker calls it once)."""
    _POOL.capacity = capacity
    _POOL.on = True


def disable() -> None:
    """Stop keeping models and drop the kept ones."""
    _POOL.on = False
    _POOL.clear()


def drop_kept() -> int:
    """Forget every kept model (a worker making room); returns how many there were."""
    with _POOL.lock:
        count = sum(len(kept) for kept in _POOL.free.values())
        _POOL.free.clear()
    return count


def give_back() -> None:
    """The current run's outcome has left the process: its models may serve the next run."""
    _POOL.give_back()


def reused_count() -> int:
    return _POOL.reused


def steps_for(model: Any) -> dict | None:
    """The traced-steps store of a model lent to the current run (None for any other model)."""
    return _POOL.steps_for(model) if _POOL.on else None


def _end_rehearsal(trainer: Any, validation: Any) -> None:
    trainer.trace_evaluation(validation)  # one evaluation batch, so the evaluation step is traced too
    raise RehearsalDone


@contextlib.contextmanager
def rehearsal() -> Iterator[None]:
    """Within it, a Trainer traces and runs one step (and one evaluation batch), then raises RehearsalDone
    (through the Trainer's first-step hook, core.engine.history.after_first_step)."""
    with after_first_step(_end_rehearsal):
        yield


def _signature(model: Any) -> list:
    """Layer names (what charts and messages show) and every variable's shape and dtype, in order.
    (Not variable paths: Keras numbers its seed generators across the whole process.)"""
    return [layer.name for layer in model.layers] + [(tuple(v.shape), str(v.dtype)) for v in model.variables]


def reusable(trained: Callable[[Any], Any] = lambda built: built) -> Callable:
    """Decorate a model builder `build(*args, seed=..., **kwargs)` whose models a worker may keep.

    `trained(built)` is the keras.Model a Trainer trains (the builder may return an object holding
    several models that share its layers); its `variables` hold the whole state. Runs share a
    kept model only if the builder and every argument but the seed are equal, the layers have the
    same names and the variables the same shapes and dtypes.
    """

    def wrap(build: Callable) -> Callable:
        @functools.wraps(build)
        def built(*args: Any, **kwargs: Any) -> Any:
            fresh = build(*args, **kwargs)
            if not _POOL.on:
                return fresh
            rest = {k: v for k, v in kwargs.items() if k != "seed"}
            key = (build.__module__, build.__qualname__, pickle.dumps((args, sorted(rest.items()))))
            model = trained(fresh)
            kept = _POOL.take(key, _signature(model))
            if kept is None:
                _POOL.lend(_Kept(key, fresh, model))
                return fresh
            for target, source in zip(kept.trained.variables, model.variables, strict=True):
                target.assign(source.value)
            return kept.built

        return built

    return wrap
