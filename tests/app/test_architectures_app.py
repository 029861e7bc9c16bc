"""AppTest: the Architectures page draws every pattern, opens a fresh cell, picks up a sentiment
model trained on its page, and quick-trains its own small IMDb model."""

from __future__ import annotations

import csv
import gzip

import pytest

from core.cells.config import QuickOutcome
from core.data import imdb
from core.engine.config import ModelConfig, TrainConfig
from core.sentiment.config import ImdbChoice, SentimentOutcome, SentimentRun, padded_arrays
from tests.helpers import app_at_page, assert_no_exception, chart_count, run_until, texts, training_finished

PAGE = "app_pages/architectures.py"
KEY = "architectures"
REVIEW_WORDS = ("film", "plot", "acting", "story", "ending", "was", "the")


@pytest.fixture(scope="module")
def tiny_imdb(tmp_path_factory):
    """A folder in the project's IMDb CSV layout, filled with generated reviews (fast to load)."""
    folder = tmp_path_factory.mktemp("data")
    (folder / "imdb").mkdir()
    for split, count, seed in (("train", 900, 1), ("test", 200, 2)):
        texts_, labels = imdb.generate_reviews(count, seed)
        with gzip.open(folder / "imdb" / f"imdb_{split}.csv.gz", "wt", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "rating", "label", "text"])
            for i, (text, label) in enumerate(zip(texts_, labels, strict=True)):
                writer.writerow([i, 8 if label else 2, int(label), text])
    return folder


def graphviz_source(at) -> str:
    charts = at.get("graphviz_chart")
    assert charts, "no diagram on the page"
    return charts[0].proto.spec


def test_explorer_draws_every_pattern_and_counts_its_weights():
    at = app_at_page(PAGE, timeout=300)
    assert_no_exception(at)
    dot = graphviz_source(at)
    assert "<SUB>200</SUB>" in dot and "LSTM" in dot  # the default: many-to-one LSTM over 200 words
    page = texts(at)
    assert "agrees with Keras' own `count_params()`" in page
    table = next(df.value for df in at.dataframe if "Keras count_params()" in df.value.columns)
    assert (table["parameters"] == table["Keras count_params()"]).all()
    assert "4·(units·(units + input) + units)" in set(table["formula"])

    at.sidebar.selectbox(key=f"{KEY}:pattern").set_value("encoder_decoder").run()
    assert_no_exception(at)
    assert "context c" in graphviz_source(at)  # every pattern is drawn in the unit tests
    assert "agrees with Keras" in texts(at)

    # Several controls at once, one rerun: a bidirectional GRU many-to-one.
    at.sidebar.selectbox(key=f"{KEY}:pattern").set_value("many_to_one")
    at.sidebar.radio(key=f"{KEY}:cell").set_value("GRU")
    at.sidebar.toggle(key=f"{KEY}:bidirectional").set_value(True).run()
    assert "&larr;" in graphviz_source(at) and "context c" not in graphviz_source(at)
    table = next(df.value for df in at.dataframe if "Keras count_params()" in df.value.columns)
    assert "Bidirectional(GRU)" in set(table["type"])
    assert (table["parameters"] == table["Keras count_params()"]).all()

    # Inside the cell, on a fresh bidirectional GRU: the backward direction's update gate.
    assert at.selectbox(key=f"{KEY}:source").value == "fresh"
    assert any("matches Keras at every step" in s.value for s in at.success)
    at.radio(key=f"{KEY}:quantity:GRU").set_value("z")
    at.radio(key=f"{KEY}:direction").set_value("backward")
    at.radio(key=f"{KEY}:signal:fresh").set_value("numbers I type").run()
    assert_no_exception(at)
    assert any("matches Keras at every step" in s.value for s in at.success)
    assert chart_count(at) >= 2  # unit views and the gate averages

    # A bad typed sequence is a message, not an exception.
    at.text_input(key=f"{KEY}:numbers:fresh").set_value("1, 2, banana").run()
    assert any("banana" in w.value for w in at.warning)
    assert_no_exception(at)
    assert "Train a model on the **Sentiment** page" in texts(at)  # the embeddings tab without a model


def test_a_model_trained_on_the_sentiment_page_is_picked_up(tiny_imdb):
    """The Sentiment page's run reaches this page through the run contract (a SentimentOutcome)."""
    from core.engine.training_job import TrainingJob
    from core.sentiment.training import train_and_evaluate
    from ui.training_panel import PanelState

    run = SentimentRun(
        ImdbChoice(num_words=200, max_length=30, train_size=600, test_size=100, embedding_dim=8),
        ModelConfig(pattern="many_to_one", cell="LSTM", units=8, readout="last"),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2),
        local_path=str(tiny_imdb),
    )
    data = imdb.load_imdb(local_path=run.local_path).with_vocabulary(run.data.num_words)
    arrays = padded_arrays(data, run.data.max_length)
    job = TrainingJob(lambda progress, stop: train_and_evaluate(run, arrays, data.vocab.num_words, [progress], stop))
    assert job.start().wait(120) and job.state == "done", job.error
    assert isinstance(job.output, SentimentOutcome)

    at = app_at_page(PAGE, timeout=300)
    at.session_state["panel:sentiment"] = PanelState(job, run)
    at.run()
    assert_no_exception(at)
    assert at.selectbox(key=f"{KEY}:source").value == "sentiment"
    assert any("matches Keras at every step" in s.value for s in at.success)
    assert any(m.label == "P(positive)" for m in at.metric)
    assert "the model reads 30 token ids" in texts(at)

    # One rerun for a new review and a word to inspect in the embeddings tab.
    at.text_area(key=f"{KEY}:review").set_value("the plot was not clever. the ending was superb.")
    at.text_input(key=f"{KEY}:emb_word").set_value("superb").run()
    assert_no_exception(at)
    summary = next(df.value for df in at.dataframe if "highest at" in df.value.columns)
    tokens = " ".join(summary["highest at"]) + " " + " ".join(summary["lowest at"])
    assert any(word in tokens for word in REVIEW_WORDS), tokens
    page = texts(at)
    assert "push most towards positive" in page and "PCA" in page
    assert "Nearest neighbours" in str([c.proto.spec for c in at.get("vega_lite_chart")])

    at.text_area(key=f"{KEY}:review").set_value("   ")
    at.text_input(key=f"{KEY}:emb_word").set_value("qwertyuiop").run()
    assert any("empty" in w.value for w in at.warning)
    assert any("not in this model's" in w.value for w in at.warning)
    assert_no_exception(at)


def test_quick_training_on_imdb_feeds_the_cell_view(tiny_imdb, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(tiny_imdb))
    at = app_at_page(PAGE, timeout=300)
    at.selectbox(key=f"{KEY}:source").set_value("quick").run()
    assert_no_exception(at)
    at.button(key=f"{KEY}:train").click().run()
    run_until(at, training_finished(KEY), timeout=240, every=3)
    assert_no_exception(at)
    assert any("matches Keras at every step" in s.value for s in at.success)
    assert any(m.label == "P(positive)" for m in at.metric)
    assert "push most towards positive" in texts(at)
    outcome = at.session_state[f"panel:{KEY}"].job.output
    assert isinstance(outcome, QuickOutcome) and outcome.model.get_layer("embedding").mask_zero
    words = imdb.load_imdb(local_path=str(tiny_imdb)).vocabulary_ids  # every word of the generated test data
    assert outcome.config.data.num_words == outcome.vocab_size == min(words, 2000)
