"""A training run on a background thread, with progress a UI can poll.

Streamlit reruns a page's script on every click, so training can't live inside one
script run. A `TrainingJob` owns the thread; `LiveProgress` is the trainer callback that
records every batch and epoch under a lock; the UI reads `snapshot()` every second and
calls `stop()` from the Stop button. The job's work function decides what happens
(prepare data, build, train, evaluate) and returns the lab's TrainedRun (core.engine.run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from core.engine.execute import execute
from core.engine.history import (
    BatchRecord,
    Callback,
    EpochRecord,
    StopSignal,
    TrainingPlan,
    TrainingResult,
    batch_frame,
    epoch_frame,
)

JobState = Literal["running", "done", "failed", "stopped"]  # stopped: ended by Stop before it returned


@dataclass
class ProgressSnapshot:
    """A consistent copy of the progress so far, safe to draw from another thread."""

    phase: str
    plan: TrainingPlan | None
    batches: pd.DataFrame
    epochs: pd.DataFrame
    last: BatchRecord | None
    elapsed: float

    @property
    def fraction(self) -> float:
        if self.plan is None or self.last is None:
            return 0.0
        total = self.plan.epochs * self.plan.steps_per_epoch
        return min(1.0, self.last.step / total)

    @property
    def eta_seconds(self) -> float | None:
        if self.last is None or self.fraction <= 0:
            return None
        return self.last.elapsed * (1 - self.fraction) / self.fraction


class LiveProgress(Callback):
    """Collects records from the training thread; `snapshot()` reads them from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: list[BatchRecord] = []
        self._epochs: list[EpochRecord] = []
        self._plan: TrainingPlan | None = None
        self._phase = "Starting"
        self._start = time.perf_counter()
        self.version = 0  # bumps on every change, so a UI can skip redrawing
        self._extras: dict[str, Any] = {}

    def put_extra(self, name: str, value: Any) -> None:
        """Page-specific live data (generated samples, attention snapshots), read by the UI."""
        with self._lock:
            self._extras[name] = value
            self.version += 1

    def extra(self, name: str, default: Any = None) -> Any:
        with self._lock:
            return self._extras.get(name, default)

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self._phase = phase
            self.version += 1

    def on_train_begin(self, plan: TrainingPlan) -> None:
        with self._lock:
            self._plan = plan
            self._phase = "Training"
            self.version += 1

    def on_batch_end(self, record: BatchRecord) -> None:
        with self._lock:
            self._batches.append(record)
            self.version += 1

    def on_epoch_end(self, record: EpochRecord) -> None:
        with self._lock:
            self._epochs.append(record)
            self.version += 1

    def restart_clock(self) -> None:
        """Elapsed time counts from now (a queued run starts its clock when it starts training)."""
        with self._lock:
            self._start = time.perf_counter()

    def apply(self, kind: str, payload: Any) -> None:
        """One message from a worker process (core.engine.workers.RemoteProgress) mirrored here."""
        if kind == "phase":
            self.set_phase(payload)
        elif kind == "plan":
            self.on_train_begin(payload)
        elif kind == "epoch":
            self.on_epoch_end(payload)
        elif kind == "batches":
            with self._lock:
                self._batches.extend(payload)
                self.version += 1
        elif kind == "extras":
            with self._lock:
                self._extras = dict(payload)
                self.version += 1

    @property
    def batch_count(self) -> int:
        with self._lock:
            return len(self._batches)

    def snapshot(self, max_points: int = 600) -> ProgressSnapshot:
        """Progress so far; long batch histories are thinned to about `max_points` rows."""
        with self._lock:
            batches = list(self._batches)
            epochs = list(self._epochs)
            plan, phase = self._plan, self._phase
        stride = max(1, -(-len(batches) // max_points))  # ceil
        thinned = batches[::stride]
        if batches and thinned[-1] is not batches[-1]:
            thinned.append(batches[-1])
        return ProgressSnapshot(
            phase,
            plan,
            batch_frame(thinned),
            epoch_frame(epochs),
            batches[-1] if batches else None,
            time.perf_counter() - self._start,
        )


Work = Callable[[LiveProgress, StopSignal], Any]


@dataclass(frozen=True)
class WorkSpec:
    """A run's work as data: `fn(progress, stop, *args, **kwargs)`, picklable for a worker process.

    `fn` must be a module-level function (pickle sends it by name) and `args`/`kwargs` plain data
    (configurations, NumPy arrays, strings); pages build one per press of Train. Calling the spec
    runs the work, so it is also a `Work` for an in-process thread.
    """

    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, progress: Any, stop: StopSignal) -> Any:
        return self.fn(progress, stop, *self.args, **self.kwargs)


@dataclass
class TrainingJob:
    """Runs `work(progress, stop)` on a daemon thread and keeps its return value."""

    work: Work
    label: str = "training"
    progress: LiveProgress = field(default_factory=LiveProgress)
    stop_signal: StopSignal = field(default_factory=StopSignal)
    state: JobState = "running"
    output: Any = None
    error: str = ""
    error_detail: str = ""
    _thread: threading.Thread | None = None

    def start(self) -> TrainingJob:
        """Run on a daemon thread (abandoned runs are the run manager's to notice: core.engine.runs)."""
        self._thread = threading.Thread(target=self._run, name=f"rnn-playground-{self.label}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        outcome = execute(self.work, self.progress, self.stop_signal, pickled=False)
        if outcome.state == "done":
            self.output, self.state = outcome.value, "done"
        else:
            self.error, self.error_detail = outcome.message, outcome.detail
            self.state = "failed" if outcome.state == "failed" else "stopped"
        self.progress.set_phase({"done": "Finished", "failed": "Failed"}.get(self.state, "Stopped"))

    def stop(self) -> None:
        self.stop_signal.request()

    @property
    def running(self) -> bool:
        return self.state == "running"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests and scripts); True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running


def result_of(output: Any) -> TrainingResult | None:
    """The TrainingResult of a job's output: a TrainedRun's `result`, or a bare result."""
    if isinstance(output, TrainingResult):
        return output
    return getattr(output, "result", None)
