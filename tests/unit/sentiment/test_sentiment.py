"""The one IMDb run (choice, split rule, checks), the Sentiment work function's typed outcome, its charts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.attention.config import IMDB_PRESETS, PoolingConfig, PoolingRun
from core.data import imdb
from core.engine.config import ModelConfig, TrainConfig
from core.sentiment import charts as sentiment_charts
from core.sentiment.config import (
    PRESETS,
    TINY_PRESET,
    ImdbChoice,
    SentimentOutcome,
    SentimentRun,
    imdb_run_checks,
    input_spec,
    padded_arrays,
    split_sizes,
)
from core.sentiment.training import train_and_evaluate


@pytest.fixture(scope="module")
def reviews() -> imdb.ImdbData:
    return imdb.load_offline(num_words=300, train_size=400, test_size=120)


def test_validation_is_a_tenth_of_the_training_split_capped_at_2000():
    assert split_sizes(25_000, 25_000) == (23_000, 2_000)
    assert split_sizes(25_000, 1_000) == (1_000, 2_000)
    assert split_sizes(400, 1_000) == (360, 40)
    assert split_sizes(5, 5) == (4, 1)


def test_one_imdb_choice_for_every_lab_and_the_padding_mask_always_on():
    choices = [run.data for run in PRESETS.values()] + [run.data for run in IMDB_PRESETS.values()]
    assert all(type(choice) is ImdbChoice for choice in choices)
    assert all(input_spec(choice, 100).mask_zero for choice in choices)
    assert input_spec(ImdbChoice(max_length=30, embedding_dim=8), 100).length == 30


@pytest.mark.parametrize(
    "run",
    [
        PRESETS[TINY_PRESET],
        PoolingRun(ImdbChoice(), PoolingConfig(), TrainConfig()),
    ],
    ids=["sentiment", "attention pooling"],
)
def test_the_same_checks_for_sentiment_and_attention_pooling(run, reviews):
    problems, note, checked = imdb_run_checks(replace(run, data=replace(run.data, num_words=60)), reviews)
    assert not problems
    assert "360 training reviews after holding out validation" in note
    assert checked.data.test_size == 120  # clamped to the test split

    problems, _, _ = imdb_run_checks(replace(run, data=replace(run.data, num_words=60, train_size=0)), reviews)
    assert any("Training reviews is 0" in p for p in problems)
    problems, _, _ = imdb_run_checks(replace(run, data=replace(run.data, num_words=60, embedding_dim=0)), reviews)
    assert any("Embedding size" in p for p in problems)


def test_train_and_evaluate_returns_a_sentiment_outcome(reviews):
    run = SentimentRun(
        ImdbChoice(num_words=60, max_length=20, train_size=300, test_size=50, embedding_dim=4),
        ModelConfig(pattern="many_to_one", cell="GRU", units=4, readout="max"),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
    )
    out = train_and_evaluate(run, padded_arrays(reviews, 20), reviews.vocab.num_words)
    assert isinstance(out, SentimentOutcome) and out.config == run
    assert out.result.status == "completed" and out.model is not None
    assert out.test_probabilities.shape == out.test_labels.shape == (50,)
    assert out.test_accuracy == pytest.approx(np.mean((out.test_probabilities > 0.5) == (out.test_labels > 0.5)))


def test_confusion_matrix_counts_and_shares():
    table = sentiment_charts.confusion_matrix(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), ["neg", "pos"])
    counts = {(r.actual, r.predicted): r.count for r in table.itertuples()}
    assert counts == {("neg", "neg"): 1, ("neg", "pos"): 1, ("pos", "neg"): 1, ("pos", "pos"): 2}
    assert np.isclose(table[table.actual == "pos"].share.sum(), 1.0)
    chart = sentiment_charts.sentiment_confusion_chart(np.array([0.0, 1.0, 1.0]), np.array([0.2, 0.4, 0.9])).to_dict()
    assert chart["layer"][0]["encoding"]["tooltip"]
    rows = chart["datasets"][next(iter(chart["datasets"]))]
    assert {(r["actual"], r["predicted"]): r["count"] for r in rows}[("positive", "negative")] == 1
