"""Real-data sources for the Gradient lab: long IMDb reviews and windows of stock returns.

Both become a `SequenceTask` (many-to-one, fixed length T) like the generated memory
tasks, so the same model, recorder and charts work on all four. The point here is not
accuracy but where the gradient goes: does a review's first word, or last month's
return, still receive any gradient from the answer at the end?
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data import imdb
from core.data.local import DataSource
from core.data.memory_tasks import SequenceTask, check_length, classification_task, regression_task
from core.engine.config import InputSpec

MIN_LONG_REVIEWS = 200  # below this, shorter reviews are padded to fill the training set
EMBEDDING_DIM = 32


def vocabulary_size(data: imdb.ImdbData) -> int:
    """Rows the embedding needs: every id below the cap, or up to the rarest word's id
    (rank + INDEX_FROM) when the data has fewer words than the cap."""
    return min(data.vocab.num_words, data.vocab.distinct_words + imdb.INDEX_FROM + 1)


def imdb_long_reviews(
    data: imdb.ImdbData, length: int, max_train: int = 5_000, max_test: int = 1_000, seed: int = 0
) -> SequenceTask:
    """Reviews with at least T tokens, cut to their last T, so every step is a real word.

    When the source has too few such reviews (the generated offline reviews are short),
    shorter ones fill up the set, zero-padded at the front, and the description says so.
    """
    check_length(length)
    rng = np.random.default_rng(seed)

    def pick(ids: list[np.ndarray], labels: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, int]:
        lengths = np.array([len(s) for s in ids])
        long = np.flatnonzero(lengths >= length)
        chosen = rng.permutation(long)[:limit]
        n_long = len(chosen)
        if n_long < min(limit, MIN_LONG_REVIEWS):
            short = np.setdiff1d(np.arange(len(ids)), long)
            fill = short[np.argsort(-lengths[short], kind="stable")][: min(limit, MIN_LONG_REVIEWS) - n_long]
            chosen = np.concatenate([chosen, fill])
        x = imdb.pad([ids[i] for i in chosen], length)
        return x, np.asarray(labels)[chosen].astype(np.float32).reshape(-1, 1), n_long

    x_train, y_train, long_train = pick(data.train_ids, data.train_labels, max_train)
    x_test, y_test, _ = pick(data.test_ids, data.test_labels, max_test)
    if len(y_train) == 0 or len(y_test) == 0:
        raise ValueError("The review source has no reviews to train on.")
    majority = float(max(y_test.mean(), 1 - y_test.mean()))
    padded = len(y_train) - long_train
    note = (
        f" Only {long_train} training reviews have {length} tokens; {padded} shorter ones are zero-padded at the "
        "front, so their early steps carry no word."
        if padded
        else ""
    )
    description = (
        f"IMDb long reviews: the last {length} tokens of {len(y_train):,} training reviews with at least "
        f"{length} tokens; answer positive or negative after the last word.{note}"
    )
    spec = InputSpec(length=length, vocab_size=vocabulary_size(data), embedding_dim=EMBEDDING_DIM)
    split = (x_train, y_train, x_test, y_test)
    return classification_task("imdb", description, split, spec, 2, majority, "majority class", data.source)


def stock_return_windows(
    close: pd.Series, length: int, source: DataSource, ticker: str = "", test_fraction: float = 0.2
) -> SequenceTask:
    """Windows of T daily log returns -> the next day's return, split in time (no peeking).

    Returns are standardised with the training part's mean and spread. Predicting the
    training mean (0 after standardising) is the trivial baseline; beating it on daily
    returns is famously hard, which is itself worth seeing.
    """
    check_length(length)
    prices = np.asarray(close, dtype=np.float64)
    prices = prices[np.isfinite(prices) & (prices > 0)]
    returns = np.diff(np.log(prices))
    n_windows = len(returns) - length
    if n_windows < 50:
        raise ValueError(
            f"{len(prices)} prices give only {max(0, n_windows)} windows of {length} returns; "
            "choose a shorter T or a longer price history."
        )
    cut = int(n_windows * (1 - test_fraction))
    mean, spread = returns[: cut + length].mean(), returns[: cut + length].std() or 1.0
    scaled = ((returns - mean) / spread).astype(np.float32)
    index = np.arange(length)[None, :] + np.arange(n_windows)[:, None]
    x = scaled[index][..., None]
    y = scaled[length:].reshape(-1, 1)
    x_train, y_train, x_test, y_test = x[:cut], y[:cut], x[cut:], y[cut:]
    baseline = float(np.mean(y_test**2))
    name = ticker or "prices"
    description = (
        f"{name} daily returns: windows of {length} standardised log returns, predict the next day's return "
        f"({len(y_train):,} training windows, then {len(y_test):,} later test windows)."
    )
    split = (x_train, y_train, x_test, y_test)
    spec = InputSpec(length=length, features=1)
    return regression_task("stocks", description, split, spec, baseline, "predict the average return", source)
