"""The Gradient lab's run configuration: which sequences, which model, how to train.

Kept out of the page script on purpose: Streamlit re-executes a page on every rerun, so
a dataclass defined there is a new class each time, and a configuration saved with a
trained model would never compare equal to the same settings one click later.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.engine.config import TrainConfig
from core.gradients.through_time import LabModel


@dataclass(frozen=True)
class SourceChoice:
    """Where the sequences come from: a generated task, IMDb reviews or stock returns."""

    kind: str = "adding"  # adding | recall | imdb | stocks
    length: int = 50  # T, the number of steps the network reads before it answers
    train_size: int = 10_000  # generated sequences / at most this many reviews
    ticker: str = "SPY"
    local_path: str = ""


@dataclass(frozen=True)
class LabConfig:
    source: SourceChoice
    model: LabModel
    train: TrainConfig
    every: int = 20  # record gradients through time every K training steps
    probe_size: int = 32  # fixed test examples the gradient is measured on


@dataclass(frozen=True)
class ComparisonConfig:
    """Several runs from one LabConfig: the three cells at some lengths, or clipping off/on."""

    lab: LabConfig
    lengths: tuple[int, ...] = ()
    clip_threshold: float | None = None
