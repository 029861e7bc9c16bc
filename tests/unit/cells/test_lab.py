"""Unit tests for the Architectures lab's configuration and analysis: the explorer choice, masked
pooling in the layer table, the pattern -> page map, IMDb runs found by their config type, the quick
run (the Sentiment lab's masked IMDb run), tracing a fresh model, and the word map."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from core.cells import embeddings, inspect, parameters
from core.cells.config import (
    FRESH_MAX_OUTPUT_STEPS,
    ExplorerChoice,
    QuickOutcome,
    explorer_choice,
    fit_vocabulary,
    fresh_model_config,
    imdb_config,
    quick_run,
)
from core.cells.inputs import InputRoute, feeder_for, review_example, signal_example
from core.cells.internals import NotInterpretable, recurrent_layers
from core.data import imdb
from core.engine.config import PATTERNS, InputSpec, ModelConfig, OutputSpec
from core.engine.history import TrainingResult
from core.engine.models import build_model
from core.engine.run import TrainedRun
from core.sentiment.config import PRESETS, TINY_PRESET, ImdbChoice, SentimentOutcome, SentimentRun
from core.sentiment.training import train_and_evaluate
from tests.helpers import ROOT
from ui.registry import PAGES, PATTERN_PAGES, pages_training, panel_title


def _choice(pattern: str = "many_to_one", words: bool = True, **model) -> ExplorerChoice:
    config = ModelConfig(pattern=pattern, cell=model.pop("cell", "GRU"), units=6, **model)
    return explorer_choice(config, 12, 1, 4, 5, vocab_size=50 if words else None, embedding_dim=4, features=3)


# ----------------------------------------------------------------------------- explorer and layer table


@pytest.mark.parametrize(
    ("pattern", "readout", "layer"),
    [
        ("many_to_one", "max", "max_over_time"),
        ("many_to_one", "mean", "mean_over_time"),
        ("one_to_one", "last", "average_pool"),
    ],
)
def test_masked_pooling_is_labelled_masked_and_is_the_masked_layer(pattern, readout, layer):
    masked = _choice(pattern, words=True, readout=readout)
    assert masked.spec.mask_zero  # word inputs are padded and masked, like every token model trained here
    rows = {r.name: r for r in parameters.layer_table(masked.model, masked.spec, masked.output)}
    assert rows[layer].kind.endswith("(masked)")
    model = build_model(masked.model, masked.spec, masked.output)
    assert type(model.get_layer(layer)).__name__.startswith("Masked")
    assert model.get_layer("embedding").mask_zero

    plain = _choice(pattern, words=False, readout=readout)
    rows = {r.name: r for r in parameters.layer_table(plain.model, plain.spec, plain.output)}
    assert all("(masked)" not in r.kind for r in rows.values())


def test_layer_rows_compare_every_formula_with_keras():
    choice = _choice("encoder_decoder", words=True, bidirectional=True)
    rows = parameters.layer_table(choice.model, choice.spec, choice.output)
    counts = inspect.keras_counts(choice.model, choice.spec, choice.output)
    table = parameters.layer_rows(rows, counts)
    assert [r["parameters"] for r in table] == [r["Keras count_params()"] for r in table]
    assert parameters.counts_agree(rows, counts)
    assert not parameters.counts_agree(rows, {**counts, "extra": 1})
    assert parameters.first_recurrent(rows).name == "encoder_1"
    shapes = {r["tensor"]: r["shape"] for r in parameters.shape_rows(choice.model, choice.spec, choice.output)}
    assert shapes["model input"] == "(batch, 12)" and shapes["context vector c"] == "(12,)"
    cells = parameters.cell_comparison(6, 4)
    assert [c["cell"] for c in cells] == ["SimpleRNN", "LSTM", "GRU"]
    assert cells[1]["weights of one direction of the first layer"] == 4 * (6 * 10 + 6)


def test_pattern_notes_say_where_the_output_comes_from():
    assert "last state h_T" in parameters.pattern_note(ModelConfig(pattern="many_to_one", readout="last"))
    assert "max of the states" in parameters.pattern_note(ModelConfig(pattern="many_to_one", readout="max"))
    assert "context vector c" in parameters.pattern_note(ModelConfig(pattern="encoder_decoder"))


def test_the_pattern_to_page_map_lives_in_the_registry_only():
    assert "pages" not in {f.name for f in dataclasses.fields(parameters.PatternInfo)}
    assert "app_pages/" not in (ROOT / "core" / "cells" / "parameters.py").read_text()
    paths = {p.path for p in PAGES}
    assert set(PATTERN_PAGES) == set(PATTERNS)
    assert all(set(pages) <= paths for pages in PATTERN_PAGES.values())
    assert [p.title for p in pages_training("encoder_decoder", ROOT)] == ["Attention", "Stock prices"]
    assert panel_title("gradient_lab") == "Gradient lab" and panel_title("my_panel") == "my panel"


def test_the_lab_config_and_charts_load_no_tensorflow():
    code = (
        "import sys, core.cells.config, core.cells.charts, core.cells.parameters, core.cells.diagrams\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- runs from other pages


@dataclasses.dataclass(frozen=True)
class _PriceData:
    window: int = 30


@dataclasses.dataclass(frozen=True)
class _PriceRun:
    data: _PriceData
    local_path: str = ""


def test_imdb_models_are_recognised_by_their_config_type():
    result = TrainingResult("completed", "Training finished.")
    sentiment = SentimentOutcome(result, None, PRESETS[TINY_PRESET], np.zeros(1), np.zeros(1), 0.5)
    quick = QuickOutcome(result, None, quick_run(_choice()), 2000, 0.5)
    assert imdb_config(sentiment) is sentiment.config
    assert imdb_config(quick).data == PRESETS[TINY_PRESET].data
    assert imdb_config(TrainedRun(result, None, _PriceRun(_PriceData()))) is None
    assert imdb_config({"run": PRESETS[TINY_PRESET]}) is None  # the old dict outputs are not runs
    assert imdb_config(None) is None


def test_the_quick_run_is_the_sentiment_labs_tiny_run_with_the_sidebars_cell():
    run = quick_run(_choice(cell="LSTM", bidirectional=True))
    tiny = PRESETS[TINY_PRESET]
    assert isinstance(run, SentimentRun) and isinstance(run.data, ImdbChoice)
    assert run.data == tiny.data and run.train == tiny.train
    assert (run.model.cell, run.model.bidirectional, run.model.readout, run.model.units) == ("LSTM", True, "last", 16)
    small = fit_vocabulary(run, distinct_words=72)
    assert small.data.num_words == 75 and fit_vocabulary(run, 50_000).data.num_words == 2000


def test_quick_training_masks_padding_and_returns_a_quick_outcome():
    rng = np.random.default_rng(0)
    run = quick_run(_choice(cell="GRU"))
    run = dataclasses.replace(
        run,
        data=dataclasses.replace(run.data, num_words=60, max_length=12, train_size=150, test_size=20),
        train=dataclasses.replace(run.train, epochs=1),
    )
    x = rng.integers(1, 60, size=(200, 12)).astype(np.int32)
    x[:, :5] = 0  # front padding, as in the real reviews
    y = rng.integers(0, 2, size=200).astype(np.float32)
    arrays = {"x_train": x[:180], "y_train": y[:180], "x_test": x[180:], "y_test": y[180:]}
    outcome = QuickOutcome.of(train_and_evaluate(run, arrays, 60), 60)
    assert isinstance(outcome, QuickOutcome) and outcome.config == run and outcome.vocab_size == 60
    assert outcome.model.get_layer("embedding").mask_zero  # the page used to build it without the mask
    assert 0.0 <= outcome.test_accuracy <= 1.0


# ----------------------------------------------------------------------------- tracing and words


def test_a_fresh_model_is_traced_and_matches_keras():
    fresh = fresh_model_config(_choice("one_to_one", words=False, cell="LSTM"), 15, seed=3)
    assert fresh.model.pattern == "many_to_one" and fresh.model.dropout == 0.0
    assert fresh.output.steps <= FRESH_MAX_OUTPUT_STEPS
    model = inspect.fresh_model(fresh)
    recurrent = recurrent_layers(model)[0]
    feeder = feeder_for(model, recurrent)
    analysis = inspect.analyse(model, recurrent, feeder, signal_example("step", feeder.route, 15))
    assert analysis.matches and analysis.check.max_difference < 1e-5
    assert len(analysis.labels) == 15 and analysis.padding == 0
    assert 0.0 < analysis.prediction < 1.0  # one sigmoid output


def _vocab(words: int) -> imdb.Vocabulary:
    return imdb.Vocabulary({f"w{i}": i for i in range(1, words + 1)}, num_words=words + imdb.INDEX_FROM + 1)


def test_a_typed_review_is_encoded_like_the_training_data():
    vocab = _vocab(20)
    route = InputRoute(index=0, shape=(6,), tokens=True, vocab_size=vocab.num_words)
    example = review_example(vocab, "w1 w2 nope w3", 6, route)
    assert example.labels[-4:] == ["w1", "w2", "<?>", "w3"] and example.padding_steps == 1
    assert "4 words, 1 outside the model's vocabulary" in example.notice
    with pytest.raises(NotInterpretable, match="empty"):
        review_example(vocab, "   ", 6, route)


def test_the_word_map_plots_words_and_finds_neighbours():
    vocab = _vocab(40)
    spec = InputSpec(length=10, vocab_size=44, embedding_dim=4, mask_zero=True)
    model = build_model(ModelConfig(pattern="many_to_one", cell="GRU", units=4), spec, OutputSpec())
    matrix = embeddings.embedding_matrix(model)
    words = embeddings.word_map(model, matrix, vocab, 44, 10, count=20, skip=2, word="w10", k=5)
    assert words.word_known and len(words.neighbours) == 5
    assert set(words.frame["role"]) == {"chosen word", "neighbour", "other"}
    assert words.frame["push"].to_numpy() == pytest.approx(words.frame["positivity"].to_numpy() - words.neutral)
    unknown = embeddings.word_map(model, matrix, vocab, 44, 10, count=20, skip=2, word="zebra", k=5)
    assert not unknown.word_known and unknown.neighbours.empty
    with pytest.raises(NotInterpretable, match="too small"):
        embeddings.word_map(model, matrix, _vocab(1), 44, 10, count=20, skip=0, word="w1", k=5)
