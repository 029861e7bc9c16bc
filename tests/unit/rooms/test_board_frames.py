"""The board's frames and charts: ranking by the metric's direction, filters, setting vs score, links, CSV."""

from __future__ import annotations

import io

import pandas as pd

from core.rooms import board, charts
from core.rooms.store import StoredRun


def run(i: int, score: float | None, *, lower: bool = True, cell: str = "LSTM", units: str = "8", **kw) -> StoredRun:
    values = {
        "id": i,
        "created_at": 1_700_000_000.0 + i,
        "page": "gradient-lab",
        "nickname": f"n{i}",
        "label": f"run {i}",
        "params": {"page": "gradient-lab", "0.cell": cell},
        "score": score,
        "metric": "test MSE" if lower else "test accuracy",
        "lower_is_better": lower,
        "curves": [
            {"quantity": "loss", "curve": "training", "epochs": 0.5, "value": 1.0},
            {"quantity": "loss", "curve": "validation", "epochs": 1.0, "value": 0.8},
            {"quantity": "mae", "curve": "validation", "epochs": 1.0, "value": 0.3},
        ],
        "status": "completed",
        "seconds": 2.0,
        "hidden": False,
        "pinned": False,
        "name_hidden": False,
        "settings": {"model cell": cell, "model units": units, "model pattern": "many_to_one"},
    }
    values.update(kw)
    return StoredRun(**values)


def test_ranking_follows_the_metrics_direction_and_unscored_runs_come_last():
    runs = [run(1, 0.5), run(2, None), run(3, 0.1), run(4, float("nan")), run(5, 0.3)]
    assert [r.id for r in board.ranked(runs)] == [3, 5, 1, 2, 4]
    higher = [run(1, 0.5, lower=False), run(2, 0.9, lower=False), run(3, 0.7, lower=False)]
    assert [r.id for r in board.ranked(higher)] == [2, 3, 1]
    table = board.leaderboard(runs, base="https://host/app/")
    assert list(table["run"]) == [3, 5, 1, 2, 4] and list(table["rank"])[:3] == [1, 2, 3]
    assert table["rank"].isna().sum() == 2 and "hidden" not in table
    assert table["open"][0] == "https://host/app/gradient-lab?page=gradient-lab&0.cell=LSTM"
    flagged = board.leaderboard([run(1, 0.5, hidden=True), run(2, 0.6, name_hidden=True)], teacher=True)
    assert list(flagged["hidden"]) == ["run", "nickname"]


def test_filters_scatter_and_curves():
    runs = [run(1, 0.5, cell="LSTM", units="8"), run(2, 0.2, cell="GRU", units="16"), run(3, 0.4, cell="GRU")]
    assert board.filter_values(runs) == {"model cell": ["GRU", "LSTM"], "model pattern": ["many_to_one"]}
    assert [r.id for r in board.filtered(runs, {"model cell": ["GRU"], "model pattern": []})] == [2, 3]
    assert board.varying_settings(runs) == ["model cell", "model units"]
    numeric = board.setting_scores(runs, "model units")
    assert pd.api.types.is_numeric_dtype(numeric["setting"]) and list(numeric["setting"]) == [8, 16, 8]
    assert list(board.setting_scores(runs, "model cell")["setting"]) == ["LSTM", "GRU", "GRU"]
    curves = board.curves(runs, "loss")
    assert curves["run"].nunique() == 3 and set(curves["curve"]) == {"training", "validation"}
    assert board.quantities(runs) == ["loss", "mae"]
    overlay = charts.overlay(curves, "loss").to_dict()
    assert overlay["layer"][0]["encoding"]["y"]["scale"]["zero"] is True  # the axis starts at 0
    assert overlay["config"]["axis"]["labelFontSize"] >= 16  # presenter sizes
    scatter = charts.setting_scatter(numeric, "model units", "test MSE").to_dict()
    assert scatter["encoding"]["x"]["type"] == "quantitative"
    assert "choose runs" in str(charts.overlay(curves.iloc[0:0], "loss").to_dict())  # nothing chosen: says so


def test_more_runs_than_colours_keep_a_pair_of_colour_and_shape_each():
    runs = [run(i, 0.1 * i) for i in range(1, 8)]
    overlay = charts.overlay(board.curves(runs, "loss"), "loss").to_dict()
    colour = overlay["layer"][0]["encoding"]["color"]["scale"]
    shape = next(layer["encoding"]["shape"]["scale"] for layer in overlay["layer"] if "shape" in layer["encoding"])
    assert colour["domain"] == shape["domain"] and len(colour["domain"]) == 7
    pairs = set(zip(colour["range"], shape["range"], strict=True))
    assert len(pairs) == 7  # the fifth run shares the first one's colour, not its dots
    assert shape["range"][:4] == ["circle"] * 4


def test_the_csv_has_one_row_per_run_with_settings_and_link():
    frame = pd.read_csv(io.StringIO(board.csv([run(1, 0.5), run(2, 0.2, cell="GRU")])))
    assert list(frame["run"]) == [2, 1]  # best first
    assert list(frame["setting: model cell"]) == ["GRU", "LSTM"] and "link: 0.cell" in frame
    assert board.csv([]).startswith("run,")
