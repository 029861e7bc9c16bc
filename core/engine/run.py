"""The run contract: what every lab's work function returns.

A page starts a run through the shared training panel (ui/training_panel.py) with a work
function `work(progress, stop) -> TrainedRun`. The base class holds what every run has -
the training history, the trained model and the configuration it was trained with; each
lab subclasses it with typed fields for its own results (test probabilities, a
vocabulary, attention snapshots...), so pages read attributes, never string keys.

Plain data, no TensorFlow import: the model is typed loosely on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engine.history import TrainingResult


@dataclass(frozen=True)
class HeldOut:
    """A run's score on data it never trained on: what the Compare table and the class board rank by."""

    name: str  # "test accuracy", "validation bits per character", "test RMSE"
    value: float
    higher_is_better: bool

    def text(self) -> str:
        if "accuracy" in self.name or "match" in self.name:
            return f"{self.value:.1%}"
        return f"{self.value:.4g}"


@dataclass
class TrainedRun:
    """One finished (or stopped) training run.

    result: the per-step and per-epoch history and how training ended.
    model:  the trained keras.Model (None when a run trains several and keeps none).
    config: the lab's run configuration (a frozen dataclass) it was trained with.
    """

    result: TrainingResult
    model: Any
    config: Any

    @property
    def seconds(self) -> float:
        return self.result.seconds

    # What another page (Architectures & inside the cell) may feed this model. Labs whose
    # models read text or kept real inputs override these; the defaults offer nothing.

    def text_codecs(self) -> tuple[Any, ...]:
        """Vocabularies that turn typed text into this model's input ids, best first.

        Each has `encode(text) -> ids` and `decode(ids) -> text`.
        """
        return ()

    def example_inputs(self) -> dict[str, np.ndarray]:
        """Named arrays of real inputs the model was trained or scored on, held-out ones first."""
        return {}

    def held_out(self) -> HeldOut | None:
        """The run's score on held-out data (labs override); None when it has none."""
        return None
