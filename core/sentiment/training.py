"""Sentiment on IMDb: the run configuration, presets, and train-then-evaluate.

Shared by the Sentiment page (which runs it on a background thread) and by
bench/sentiment.py (which runs the default preset on the real data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.data import imdb
from core.engine.config import InputSpec, ModelConfig, OutputSpec, TrainConfig


@dataclass(frozen=True)
class DataChoice:
    num_words: int = 10_000
    max_length: int = 200
    train_size: int = 25_000
    test_size: int = 5_000
    embedding_dim: int = 64


@dataclass(frozen=True)
class SentimentRun:
    data: DataChoice
    model: ModelConfig
    train: TrainConfig
    local_path: str = ""


DEFAULT_PRESET = "Default: GRU, about a minute"
TINY_PRESET = "Tiny: seconds, for a quick demo"

PRESETS: dict[str, SentimentRun] = {
    # Max-pooling the GRU's outputs over time lets the gradient reach every word directly,
    # which is what gets past 85 % in one or two epochs; the last-state read-out needs more.
    DEFAULT_PRESET: SentimentRun(
        DataChoice(),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32, readout="max"),
        TrainConfig(epochs=2, batch_size=128, learning_rate=3e-3),
    ),
    TINY_PRESET: SentimentRun(
        DataChoice(num_words=2000, max_length=80, train_size=2000, test_size=500, embedding_dim=16),
        ModelConfig(pattern="many_to_one", cell="GRU", units=16, readout="max"),
        TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2),
    ),
    "Baseline: one-to-one, no recurrence": SentimentRun(
        DataChoice(),
        ModelConfig(pattern="one_to_one", cell="GRU", units=32, dense_units=32),
        TrainConfig(epochs=3, batch_size=128, learning_rate=3e-3),
    ),
    "Textbook: SimpleRNN, last state": SentimentRun(
        DataChoice(),
        ModelConfig(pattern="many_to_one", cell="SimpleRNN", units=32, readout="last"),
        TrainConfig(epochs=3, batch_size=128, learning_rate=1e-3, clip_norm=1.0),
    ),
}


def split_sizes(available: int, requested: int) -> tuple[int, int]:
    """(training, validation) counts: validation is held out from the end of the train split."""
    validation = min(2_000, max(1, available // 10))
    return max(0, min(requested, available - validation)), validation


def imdb_run_checks(run, data: imdb.ImdbData):
    """What blocks training an IMDb run on `data`, a note for the user, and the run with its
    test size clamped to the data. `run` is any config with .model, .train and .data holding
    num_words, train_size and test_size (the Sentiment and Attention pages both use it)."""
    problems = run.model.problems() + run.train.problems()
    note = ""
    if run.data.train_size <= 0:
        problems.append("Training reviews is 0: choose at least a few hundred reviews to learn from.")
    available = len(data.train_ids) - split_sizes(len(data.train_ids), 1)[1]
    if available < 1:
        problems.append("This data source has too few training reviews to hold out validation.")
    elif run.data.train_size > available:
        note = f"This source has {available:,} training reviews after holding out validation; using all of them."
    if vocab_problem := data.vocabulary_problem(run.data.num_words):
        problems.append(vocab_problem)
    if run.data.test_size > len(data.test_ids):
        run = replace(run, data=replace(run.data, test_size=len(data.test_ids)))
    return problems, note, run


def padded_arrays(data: imdb.ImdbData, max_length: int) -> dict[str, np.ndarray]:
    return {
        "x_train": imdb.pad(data.train_ids, max_length),
        "y_train": data.train_labels,
        "x_test": imdb.pad(data.test_ids, max_length),
        "y_test": data.test_labels,
    }


def input_spec(data: DataChoice, vocab_size: int) -> InputSpec:
    """Reviews are front-padded with id 0 to max_length: masking keeps every read-out (and the
    bag-of-embeddings baseline) to the real words, so padding length never changes a prediction."""
    return InputSpec(length=data.max_length, vocab_size=vocab_size, embedding_dim=data.embedding_dim, mask_zero=True)


def build_sentiment_model(run: SentimentRun, vocab_size: int):
    """The run's classifier: token ids (B, max_length) -> P(positive) (B, 1)."""
    from core.engine.models import build_model

    spec = input_spec(run.data, vocab_size)
    return build_model(run.model, spec, OutputSpec(size=1, activation="sigmoid"), seed=run.train.seed)


def train_and_evaluate(
    run: SentimentRun,
    arrays: dict[str, np.ndarray],
    vocab_size: int,
    callbacks: Sequence = (),
    stop=None,
    on_phase=lambda phase: None,
) -> dict:
    """Build the configured model, train it with validation, and score the test split."""
    from core.engine.trainer import Trainer, predict

    on_phase("Building the model")
    n_train, n_val = split_sizes(len(arrays["y_train"]), run.data.train_size)
    x, y = arrays["x_train"], arrays["y_train"]
    model = build_sentiment_model(run, vocab_size)
    trainer = Trainer(model, "binary_crossentropy", ["accuracy"], run.train)
    result = trainer.fit(x[:n_train], y[:n_train], validation=(x[-n_val:], y[-n_val:]), callbacks=callbacks, stop=stop)
    on_phase("Evaluating on the test split")
    x_test, y_test = arrays["x_test"][: run.data.test_size], arrays["y_test"][: run.data.test_size]
    probabilities = predict(model, x_test).reshape(-1)
    return {
        "result": result,
        "model": model,
        "run": run,
        "test_probabilities": probabilities,
        "test_labels": y_test,
        "test_accuracy": float(np.mean((probabilities > 0.5) == (y_test > 0.5))),
    }
