"""The Sentiment lab's work functions, as the run manager runs them (core/engine/runs.py).

Module-level, so a WorkSpec naming them pickles into a worker process; their arguments are
plain data (the run's configuration and the tokenised arrays). TensorFlow loads only when one
runs (`sentiment.training` is a lazy submodule), never when a page imports this.
"""

from __future__ import annotations

import numpy as np

from core import sentiment
from core.cells.config import QuickOutcome
from core.engine.training_job import WorkSpec
from core.sentiment.config import SentimentOutcome, SentimentRun


def train(progress, stop, run: SentimentRun, arrays: dict[str, np.ndarray], vocab_size: int) -> SentimentOutcome:
    """Build, train with validation, score the test split (the Sentiment page's Train)."""
    return sentiment.training.train_and_evaluate(
        run, arrays, vocab_size, callbacks=[progress], stop=stop, on_phase=progress.set_phase
    )


def quick_train(
    progress, stop, run: SentimentRun, arrays: dict[str, np.ndarray], vocab_size: int, word_ids: dict | None = None
) -> QuickOutcome:
    """The same training, for the Architectures page's quick IMDb model (`word_ids`: the words its checks read)."""
    return QuickOutcome.of(train(progress, stop, run, arrays, vocab_size), vocab_size, word_ids)


def spec(run: SentimentRun, arrays: dict[str, np.ndarray], vocab_size: int) -> WorkSpec:
    return WorkSpec(train, (run, arrays, vocab_size))


def quick_spec(
    run: SentimentRun, arrays: dict[str, np.ndarray], vocab_size: int, word_ids: dict | None = None
) -> WorkSpec:
    return WorkSpec(quick_train, (run, arrays, vocab_size, word_ids))
