"""The Attention lab, as data: run configurations, the page's presets and the typed outcomes.

TensorFlow-free, so the page and bench/attention.py can read presets without loading the
deep-learning stack. The models live in seq2seq.py (translation) and pooling.py (IMDb).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from core.engine import limits
from core.engine.cells import cell_problems
from core.engine.config import TrainConfig
from core.engine.run import TrainedRun
from core.sentiment.config import ImdbChoice

if TYPE_CHECKING:
    from core.attention.pooling import PoolingModels

# ----------------------------------------------------------------------------- IMDb: attention pooling


@dataclass(frozen=True)
class PoolingConfig:
    """The classifier: cell, width, direction and attention size (the embedding is the ImdbChoice's)."""

    cell: str = "GRU"
    units: int = 32
    bidirectional: bool = False
    attention_units: int = 32

    def problems(self) -> list[str]:
        out = cell_problems(self.cell)
        for label, value in (("Units", self.units), ("Attention units", self.attention_units)):
            if not 1 <= value <= limits.MAX_UNITS:
                out.append(f"{label} must be between 1 and {limits.MAX_UNITS} (got {value}).")
        return out


@dataclass(frozen=True)
class PoolingRun:
    data: ImdbChoice
    model: PoolingConfig
    train: TrainConfig
    local_path: str = ""


POOLING_DATA = ImdbChoice(train_size=10_000, test_size=2_000)
DEFAULT_POOLING_RUN = PoolingRun(
    POOLING_DATA, PoolingConfig(), TrainConfig(epochs=2, batch_size=128, learning_rate=1e-2, clip_norm=5.0)
)
TINY_POOLING_RUN = PoolingRun(
    replace(POOLING_DATA, num_words=2_000, max_length=80, train_size=2_000, test_size=300, embedding_dim=16),
    PoolingConfig(units=16, attention_units=16),
    TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2, clip_norm=5.0),
)
IMDB_PRESETS: dict[str, PoolingRun] = {
    "Default: GRU + attention pooling, about a minute": DEFAULT_POOLING_RUN,
    "Tiny: seconds, for a quick demo": TINY_POOLING_RUN,
}


@dataclass
class PoolingOutcome(TrainedRun):
    """A trained attention-pooling classifier, its test scores and per-word attention.

    model: the classifier (ids -> P(positive)); models: it and the explainer sharing its layers.
    """

    config: PoolingRun
    models: PoolingModels
    test_probabilities: np.ndarray  # P(positive) per test review
    test_weights: np.ndarray  # (n, max_length) attention per token, 0 on padding
    test_labels: np.ndarray
    test_accuracy: float
