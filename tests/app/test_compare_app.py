"""AppTest: three Sentiment runs (SimpleRNN, LSTM, GRU) compared side by side under the training panel."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core.engine import compare as cmp
from tests.helpers import app_at_page, assert_no_exception, chart_count, run_until, texts, training_finished

PAGE = "app_pages/sentiment.py"
TINY = "Tiny: seconds, for a quick demo"
KEY = "sentiment"


def train_with(at, cell: str, index: int) -> None:
    at.sidebar.radio(key=f"{KEY}:{index}:cell").set_value(cell).run()
    at.button(key=f"{KEY}:train").click().run()
    run_until(at, training_finished(KEY), timeout=240)
    assert_no_exception(at)
    assert at.success, [e.value for e in at.error]


@pytest.fixture
def tiny(with_shared_data):
    at = app_at_page(PAGE, timeout=300)
    at.sidebar.selectbox(key=f"{KEY}:preset").set_value(TINY).run()
    assert_no_exception(at)
    index = at.sidebar.selectbox(key=f"{KEY}:preset").options.index(TINY)
    # an even smaller run: the comparison, not the accuracy, is under test
    at.sidebar.number_input(key=f"{KEY}:{index}:train").set_value(500).run()
    at.sidebar.number_input(key=f"{KEY}:{index}:test").set_value(100).run()
    return at, index


def test_three_cells_compared_side_by_side(tiny):
    at, index = tiny
    train_with(at, "SimpleRNN", index)
    assert not [e for e in at.expander if e.label.startswith("Compare runs")]  # one run: nothing to compare
    train_with(at, "LSTM", index)
    train_with(at, "GRU", index)

    (section,) = [e for e in at.expander if e.label.startswith("Compare runs")]
    assert section.label == "Compare runs (3 kept on this page)"
    chooser = at.multiselect(key=f"{KEY}:compare_runs")
    assert chooser.value == [3, 2, 1]  # all, newest first
    labels = [at.text_input(key=f"{KEY}:run_label:{i}").value for i in (1, 2, 3)]
    assert labels == ["SimpleRNN", "LSTM", "GRU"]
    page = texts(at)
    assert page.count("What to look for") >= 5  # the panel's two captions + loss, accuracy, gradients
    assert chart_count(at) >= 3 + 3  # the panel's live charts + the three overlays
    table = next(d.value for d in at.dataframe if "run" in d.value)
    assert list(table["run"]) == ["#3 GRU", "#2 LSTM", "#1 SimpleRNN"]
    assert list(table["setting: model cell"]) == ["GRU", "LSTM", "SimpleRNN"]
    assert table["last epoch val accuracy"].between(0, 1).all()

    (download,) = [d for d in at.get("download_button") if d.proto.label == "Compared runs (CSV)"]
    history = at.session_state[f"panel-runs:{KEY}"]
    frame = pd.read_csv(io.StringIO(cmp.comparison_csv(history.newest_first())))
    assert frame["run"].drop_duplicates().tolist() == [3, 2, 1]
    assert set(frame["label"]) == {"SimpleRNN", "LSTM", "GRU"}
    assert download is not None

    # an edited label names the run in the table; unchoosing a run leaves it out
    at.text_input(key=f"{KEY}:run_label:2").set_value("LSTM, the gated one").run()
    chooser = at.multiselect(key=f"{KEY}:compare_runs")
    chooser.unselect(1).run()
    table = next(d.value for d in at.dataframe if "run" in d.value)
    assert list(table["run"]) == ["#3 GRU", "#2 LSTM, the gated one"]
    assert_no_exception(at)


def test_the_run_history_drops_the_oldest_beyond_its_count(tiny, monkeypatch):
    monkeypatch.setattr(cmp.limits, "MAX_RUN_HISTORY", 2)
    at, index = tiny
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        train_with(at, cell, index)
    history = at.session_state[f"panel-runs:{KEY}"]
    assert [r.run_id for r in history.runs] == [2, 3]
    assert at.multiselect(key=f"{KEY}:compare_runs").value == [3, 2]
    assert "Compare runs (2 kept on this page)" in [e.label for e in at.expander]
