"""Sentiment on IMDb, as data: the one IMDb run choice, its checks, the Sentiment presets and outcome.

TensorFlow-free, so pages, benchmarks and other labs can use it without loading the
deep-learning stack. `ImdbChoice` and `imdb_run_checks` are THE IMDb run shape shared by every
model trained on the reviews (the Sentiment page, attention pooling, the Architectures
quick-train): one data choice, one validation split rule (`split_sizes`), one set of checks,
and one input spec with the padding mask on (`input_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np

from core.data import imdb
from core.engine import limits
from core.engine.config import InputSpec, ModelConfig, TrainConfig
from core.engine.footprint import Footprint
from core.engine.run import HeldOut, TrainedRun

# ----------------------------------------------------------------------------- one IMDb run

MAX_VALIDATION_REVIEWS = 2_000  # held out from the end of the training split
LENGTH_STEP = 10  # the review-length slider's step


@dataclass(frozen=True)
class ImdbChoice:
    """Which reviews a model reads and how: vocabulary, length, split sizes, embedding width.

    Each lab sets its own defaults through its presets (`replace(ImdbChoice(), train_size=...)`).
    """

    num_words: int = 10_000
    max_length: int = 200
    train_size: int = 25_000
    test_size: int = 5_000
    embedding_dim: int = 64


Model = TypeVar("Model")


@dataclass(frozen=True)
class ImdbRun(Generic[Model]):
    """One training run on IMDb reviews, whichever lab trains it: the data choice, the lab's
    model configuration, the training settings, and the deployer's local copy (if any)."""

    data: ImdbChoice
    model: Model
    train: TrainConfig
    local_path: str = ""

    def footprint(self) -> Footprint:
        """What this run costs (core.engine.footprint): reviews of max_length ids through an embedding."""
        return Footprint(
            self.model.recurrent(),
            steps=self.data.max_length,
            batch_size=self.train.batch_size,
            epochs=self.train.epochs,
            input_width=self.data.embedding_dim,
            vocab=self.data.num_words,
            train_examples=self.data.train_size,
            eval_examples=self.data.test_size + MAX_VALIDATION_REVIEWS,
        )


R = TypeVar("R", bound=ImdbRun)


def split_sizes(available: int, requested: int) -> tuple[int, int]:
    """(training, validation) counts: validation is held out from the end of the train split."""
    validation = min(MAX_VALIDATION_REVIEWS, max(1, available // 10))
    return max(0, min(requested, available - validation)), validation


def imdb_run_checks(run: R, data: imdb.ImdbData) -> tuple[list[str], str, R]:
    """What blocks training an IMDb run on `data`, a note for the user, and the run with its
    test size clamped to the data."""
    problems = run.model.problems() + run.train.problems()
    note = ""
    if run.data.train_size <= 0:
        problems.append("Training reviews is 0: choose at least a few hundred reviews to learn from.")
    if not 1 <= run.data.embedding_dim <= limits.MAX_EMBEDDING_DIM:
        problems.append(
            f"Embedding size must be between 1 and {limits.MAX_EMBEDDING_DIM} (got {run.data.embedding_dim})."
        )
    available = len(data.train_ids) - split_sizes(len(data.train_ids), 1)[1]
    if available < 1:
        problems.append("This data source has too few training reviews to hold out validation.")
    elif run.data.train_size > available:
        note = f"This source has {available:,} training reviews after holding out validation; using all of them."
    run, fitted = fit_to_data(run, data)
    note = " ".join(n for n in (fitted, note) if n)
    if run.data.test_size > len(data.test_ids):
        run = replace(run, data=replace(run.data, test_size=len(data.test_ids)))
    return problems, note, run


def fit_to_data(run: R, data: imdb.ImdbData) -> tuple[R, str]:
    """The run with its vocabulary and length capped to what the data has, and a note saying so.

    A vocabulary larger than the data's distinct words, or a length longer than its longest review,
    adds only ids no review uses and padding the mask skips: capping them trains the same model on the
    same words, faster - and lets a preset made for IMDb's 88,000 words train on a small stand-in.
    """
    vocab = min(run.data.num_words, data.vocabulary_ids)
    longest = -(-data.longest_review // LENGTH_STEP) * LENGTH_STEP  # rounded up to the slider's step
    length = min(run.data.max_length, max(LENGTH_STEP, longest))
    if (vocab, length) == (run.data.num_words, run.data.max_length):
        return run, ""
    said = []
    if vocab < run.data.num_words:
        said.append(
            f"it has {data.vocab.distinct_words:,} distinct words, so the vocabulary is {vocab:,} ids "
            f"(every word its own, instead of {run.data.num_words:,})"
        )
    if length < run.data.max_length:
        said.append(
            f"its longest review has {data.longest_review:,} tokens, so the model reads {length} "
            f"(instead of {run.data.max_length}; the rest would be masked padding)"
        )
    note = f"Adapted to this data: {' and '.join(said)}. Same model, same words, less work."
    return replace(run, data=replace(run.data, num_words=vocab, max_length=length)), note


def input_spec(choice: ImdbChoice, vocab_size: int) -> InputSpec:
    """Reviews are front-padded with id 0 to max_length: masking keeps every read-out (and the
    bag-of-embeddings baseline) to the real words, so padding length never changes a prediction."""
    return InputSpec(
        length=choice.max_length, vocab_size=vocab_size, embedding_dim=choice.embedding_dim, mask_zero=True
    )


def padded_arrays(data: imdb.ImdbData, max_length: int) -> dict[str, np.ndarray]:
    """x_train, y_train, x_test, y_test: token ids front-padded (and cut) to max_length."""
    return {
        "x_train": imdb.pad(data.train_ids, max_length),
        "y_train": data.train_labels,
        "x_test": imdb.pad(data.test_ids, max_length),
        "y_test": data.test_labels,
    }


# ----------------------------------------------------------------------------- the Sentiment lab


class SentimentRun(ImdbRun[ModelConfig]):
    """A Sentiment run: an RNN (or the one-to-one baseline) built from a ModelConfig."""


DEFAULT_PRESET = "Default: GRU, about a minute"
TINY_PRESET = "Tiny: seconds, for a quick demo"

PRESETS: dict[str, SentimentRun] = {
    # Max-pooling the GRU's outputs over time lets the gradient reach every word directly,
    # which is what gets past 87 % in two epochs; the last-state read-out needs more. Batches of
    # 256 cost a third less per epoch than 128 on 2 cores (fewer steps through 200 words), and a
    # larger step keeps the accuracy. A second epoch that makes the validation loss worse is
    # undone (early stopping, patience 1, best weights restored).
    DEFAULT_PRESET: SentimentRun(
        ImdbChoice(),
        ModelConfig(pattern="many_to_one", cell="GRU", units=32, readout="max"),
        TrainConfig(epochs=2, batch_size=256, learning_rate=1e-2, early_stopping_patience=1),
    ),
    TINY_PRESET: SentimentRun(
        ImdbChoice(num_words=2000, max_length=80, train_size=2000, test_size=500, embedding_dim=16),
        ModelConfig(pattern="many_to_one", cell="GRU", units=16, readout="max"),
        TrainConfig(epochs=2, batch_size=64, learning_rate=1e-2),
    ),
    "Baseline: one-to-one, no recurrence": SentimentRun(
        ImdbChoice(),
        ModelConfig(pattern="one_to_one", cell="GRU", units=32, dense_units=32),
        TrainConfig(epochs=3, batch_size=128, learning_rate=3e-3),
    ),
    "Textbook: SimpleRNN, last state": SentimentRun(
        ImdbChoice(),
        ModelConfig(pattern="many_to_one", cell="SimpleRNN", units=32, readout="last"),
        TrainConfig(epochs=3, batch_size=128, learning_rate=1e-3, clip_norm=1.0),
    ),
}


# Measured on the generated stand-in (core.data.imdb.load_offline, seed 0), checked again by
# tests/unit/sentiment/test_offline_lessons.py: reading in order decides most of its reviews, as the page says.
OFFLINE_FIGURES = {"Default: GRU, about a minute": 0.947, "Baseline: one-to-one, no recurrence": 0.630}
OFFLINE_LESSON = (
    "On these generated reviews word order decides: the opinion after 'but' or at the end wins, and 'not' flips "
    "the word after it. Measured here: the Default GRU reaches {gru:.1%} test accuracy, the one-to-one baseline "
    "(the same words, no order) {flat:.1%}. Train both and compare."
).format(gru=OFFLINE_FIGURES[DEFAULT_PRESET], flat=OFFLINE_FIGURES["Baseline: one-to-one, no recurrence"])


@dataclass
class SentimentOutcome(TrainedRun):
    """A trained sentiment classifier and its score on the test split.

    config: the SentimentRun it was trained with; model: ids (B, max_length) -> P(positive) (B, 1).
    """

    config: SentimentRun
    test_probabilities: np.ndarray  # P(positive) per test review
    test_labels: np.ndarray  # 0/1 per test review
    test_accuracy: float

    def held_out(self) -> HeldOut:
        return HeldOut("test accuracy", float(self.test_accuracy), True)
