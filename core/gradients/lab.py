"""What a Gradient lab run records, readable without TensorFlow.

A `GradientTimeRecorder` (core.gradients.through_time) lives in the worker process that trains;
it crosses to the server pickled as a `RecordedGradients`: its snapshots as numpy arrays, and
nothing that needs TensorFlow to load. So a page drawing the live gradient heatmap of a run
never makes the server import TensorFlow.

The work functions the page's Train buttons run are in core.gradients.jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.gradients.charts import snapshots_frame


@dataclass(frozen=True)
class Snapshot:
    training_step: int
    norms: np.ndarray  # (T,)


@dataclass(frozen=True)
class RecordedGradients:
    """A recorder's snapshots so far: the same read-only API as GradientTimeRecorder, as plain data."""

    every: int
    seconds: float  # time spent probing, to report the overhead
    recorded: tuple[Snapshot, ...] = ()

    @property
    def snapshots(self) -> list[Snapshot]:
        return list(self.recorded)

    def initial(self) -> Snapshot | None:
        return self.recorded[0] if self.recorded else None

    def latest(self) -> Snapshot | None:
        return self.recorded[-1] if self.recorded else None

    def frame(self) -> pd.DataFrame:
        """Long table: training_step, time_step (1-based), norm."""
        return snapshots_frame(self.recorded)

    @classmethod
    def of(cls, every: int, seconds: float, snapshots: Sequence[Snapshot]) -> RecordedGradients:
        return cls(every, seconds, tuple(snapshots))
