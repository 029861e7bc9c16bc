"""Long-memory tasks the playground generates: the adding problem and copy/recall.

Both put the information the answer needs at the *start* (or anywhere) of a long
sequence and ask for the answer only at the *end*, so a network can only succeed if
its gradient reaches back across the whole sequence. They are the standard tests of
vanishing gradients (Hochreiter & Schmidhuber, 1997; Le, Jaitly & Hinton, 2015;
Arjovsky, Shah & Bengio, 2016).

  adding   every step carries (value ~ U[0, 1], marker in {0, 1}); exactly two steps
           are marked, one in each half of the sequence. Target: the sum of the two
           marked values. Always answering 1 (the mean of the sum) scores
           MSE = Var(U1 + U2) = 2/12 ≈ 0.167 - the trivial baseline.
  recall   every step shows a random symbol (one of K, one-hot); one step, anywhere,
           is marked "remember this"; the last step says "go". Target: the marked
           symbol. Guessing scores 1/K.

Everything is generated from a seed, so every student sees the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from core.data import bounded_cache
from core.data.local import DataSource
from core.engine.config import InputSpec, OutputSpec

TaskName = Literal["adding", "recall"]
MIN_LENGTH, MAX_LENGTH = 10, 500
ADDING_BASELINE_MSE = 1.0 / 6.0  # Var(U1 + U2) for two independent U[0, 1] values
RECALL_SYMBOLS = 8
# Cap on stored values (examples x steps x features), so T = 500 still fits a small host.
MAX_VALUES = 6_000_000


@dataclass(frozen=True)
class Score:
    """How a task is judged: a name, which way is better, and what a trivial guess gets."""

    name: str  # e.g. "MSE" or "accuracy"
    lower_is_better: bool
    baseline: float
    baseline_label: str  # what the trivial guess is, in words


@dataclass(frozen=True)
class SequenceTask:
    """A many-to-one data set with everything a page needs to train and judge a model."""

    name: str
    description: str
    x_train: np.ndarray  # (n, T, features) float32, or (n, T) int32 token ids
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    spec: InputSpec
    output: OutputSpec
    loss: str  # a core.engine.trainer loss name
    metric: str  # a core.engine.trainer metric name (shown live by the training panel)
    metric_label: str
    score: Score
    source: DataSource

    @property
    def length(self) -> int:
        return self.spec.length


Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_test, y_test


def regression_task(
    name: str, description: str, split: Split, spec: InputSpec, baseline: float, baseline_label: str, source: DataSource
) -> SequenceTask:
    """Answer one number after the last step: judged by test MSE, watched by the mean absolute error."""
    return SequenceTask(
        name,
        description,
        *split,
        spec,
        OutputSpec(size=1, activation="linear"),
        loss="mse",
        metric="mae",
        metric_label="mean absolute error",
        score=Score("MSE", lower_is_better=True, baseline=baseline, baseline_label=baseline_label),
        source=source,
    )


def classification_task(
    name: str,
    description: str,
    split: Split,
    spec: InputSpec,
    classes: int,
    baseline: float,
    baseline_label: str,
    source: DataSource,
) -> SequenceTask:
    """Name one of `classes` after the last step (2: one sigmoid output): judged by test accuracy."""
    binary = classes == 2
    return SequenceTask(
        name,
        description,
        *split,
        spec,
        OutputSpec(size=1, activation="sigmoid") if binary else OutputSpec(size=classes, activation="softmax"),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metric="accuracy" if binary else "sparse_accuracy",
        metric_label="accuracy",
        score=Score("accuracy", lower_is_better=False, baseline=baseline, baseline_label=baseline_label),
        source=source,
    )


def check_length(length: int) -> None:
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"Sequence length T must be between {MIN_LENGTH} and {MAX_LENGTH} (got {length}).")


def examples_for(length: int, features: int, requested: int) -> int:
    """`requested` examples, fewer when T x features would not fit in MAX_VALUES."""
    return max(64, min(requested, MAX_VALUES // (length * features)))


# ----------------------------------------------------------------------------- adding


def adding_problem(n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, marker positions): x is (n, T, 2) = (value, marker), y is (n, 1) = the sum.

    One marker falls uniformly in the first half and one in the second half, so on
    average the first number lies T/4 steps from the start and 3T/4 from the answer.
    """
    check_length(length)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length)).astype(np.float32)
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second]).astype(np.float32).reshape(n, 1)
    return x, y, np.stack([first, second], axis=1).astype(np.int32)


def adding_task(length: int, train_size: int = 10_000, test_size: int = 1_024, seed: int = 0) -> SequenceTask:
    n_train = examples_for(length, 2, train_size)
    x_train, y_train, _ = adding_problem(n_train, length, seed)
    x_test, y_test, _ = adding_problem(test_size, length, seed + 10_000)
    description = (
        f"Adding problem, T = {length}: each step is (a random number, a marker). Two steps are marked; "
        "the answer is the sum of the two marked numbers."
    )
    split = (x_train, y_train, x_test, y_test)
    source = DataSource("offline", "adding problem generated by the playground (seeded)")
    spec = InputSpec(length=length, features=2)
    return regression_task("adding", description, split, spec, ADDING_BASELINE_MSE, "always answer 1", source)


# ----------------------------------------------------------------------------- recall


def recall_problem(
    n: int, length: int, symbols: int = RECALL_SYMBOLS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, marked step): x is (n, T, K + 2) = (K symbols one-hot, "remember" marker, "go").

    Steps 1..T-1 each show a random symbol; one of them, uniformly placed, is marked; the
    last step shows only "go". y (n,) is the marked symbol's id. Marks near the end are
    easy and teach the network to hold on to a marked symbol; marks near the start need
    a gradient that survives T steps.
    """
    check_length(length)
    if symbols < 2:
        raise ValueError("The recall task needs at least 2 symbols.")
    rng = np.random.default_rng(seed)
    stream = rng.integers(0, symbols, size=(n, length))
    marked = rng.integers(0, length - 1, size=n)
    rows = np.arange(n)
    y = stream[rows, marked].astype(np.int32)
    x = np.zeros((n, length, symbols + 2), dtype=np.float32)
    x[rows[:, None], np.arange(length)[None, :], stream] = 1.0
    x[rows, marked, symbols] = 1.0  # remember this one
    x[:, -1, :symbols] = 0.0
    x[:, -1, symbols + 1] = 1.0  # go: answer now
    return x, y, marked.astype(np.int32).reshape(n, 1)


def recall_task(
    length: int, train_size: int = 10_000, test_size: int = 1_024, seed: int = 0, symbols: int = RECALL_SYMBOLS
) -> SequenceTask:
    features = symbols + 2
    n_train = examples_for(length, features, train_size)
    x_train, y_train, _ = recall_problem(n_train, length, symbols, seed)
    x_test, y_test, _ = recall_problem(test_size, length, symbols, seed + 10_000)
    description = (
        f"Copy/recall, T = {length}: a stream of random symbols (one of {symbols}); one step is marked "
        "'remember this'. At the last step ('go') name the marked symbol."
    )
    split = (x_train, y_train, x_test, y_test)
    source = DataSource("offline", "copy/recall task generated by the playground (seeded)")
    spec = InputSpec(length=length, features=features)
    return classification_task("recall", description, split, spec, symbols, 1.0 / symbols, "guess a symbol", source)


def make_task(name: TaskName, length: int, train_size: int = 10_000, seed: int = 0) -> SequenceTask:
    if name == "adding":
        return adding_task(length, train_size, seed=seed)
    if name == "recall":
        return recall_task(length, train_size, seed=seed)
    raise ValueError(f"Unknown task {name!r}; choose 'adding' or 'recall'.")


def shared_task(name: TaskName, length: int, train_size: int = 10_000, seed: int = 0) -> SequenceTask:
    """make_task(...), shared by every session under the server's byte budget for derived data.

    Visitors choose the length and size (T = 500 tasks take tens of MB each), so the tasks are
    kept by bytes (core.data.bounded_cache.SHARED), least recently used dropped first - never
    a fixed number of entries whatever their size.
    """
    return bounded_cache.SHARED.get(
        ("memory-task", name, length, train_size, seed), lambda: make_task(name, length, train_size, seed)
    )


def trivial_score(task: SequenceTask) -> float:
    """The trivial guess scored on the test split (≈ score.baseline, exactly as measured)."""
    if task.name == "adding":
        return float(np.mean((task.y_test - 1.0) ** 2))
    if task.score.name == "accuracy":
        counts = np.bincount(np.asarray(task.y_test, dtype=np.int64).reshape(-1))
        return float(counts.max() / counts.sum())
    return task.score.baseline
