"""Sentiment on IMDb: build the classifier, train it with validation, score the test split.

Shared by the Sentiment page (which runs it on a background thread) and by
bench/sentiment.py (which runs the default preset on the real data). The run configuration
and presets are in core/sentiment/config.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.engine.config import OutputSpec
from core.engine.models import build_model
from core.engine.trainer import Trainer, predict
from core.sentiment.config import SentimentOutcome, SentimentRun, input_spec, split_sizes


def build_sentiment_model(run: SentimentRun, vocab_size: int):
    """The run's classifier: token ids (B, max_length) -> P(positive) (B, 1)."""
    spec = input_spec(run.data, vocab_size)
    return build_model(run.model, spec, OutputSpec(size=1, activation="sigmoid"), seed=run.train.seed)


def score(model, token_ids: np.ndarray) -> np.ndarray:
    """P(positive) (n,) for padded id rows."""
    return predict(model, token_ids).reshape(-1)


def train_and_evaluate(
    run: SentimentRun,
    arrays: dict[str, np.ndarray],
    vocab_size: int,
    callbacks: Sequence = (),
    stop=None,
    on_phase=lambda phase: None,
) -> SentimentOutcome:
    """Build the configured model, train it with validation, and score the test split."""
    on_phase("Building the model")
    n_train, n_val = split_sizes(len(arrays["y_train"]), run.data.train_size)
    x, y = arrays["x_train"], arrays["y_train"]
    model = build_sentiment_model(run, vocab_size)
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], run.train)
    result = trainer.fit(x[:n_train], y[:n_train], validation=(x[-n_val:], y[-n_val:]), callbacks=callbacks, stop=stop)
    on_phase("Evaluating on the test split")
    x_test, y_test = arrays["x_test"][: run.data.test_size], arrays["y_test"][: run.data.test_size]
    probabilities = score(model, x_test)
    return SentimentOutcome(
        result=result,
        model=model,
        config=run,
        test_probabilities=probabilities,
        test_labels=y_test,
        test_accuracy=float(np.mean((probabilities > 0.5) == (y_test > 0.5))),
    )
