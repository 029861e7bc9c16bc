"""Charts with wide legends put them below the plot, in columns that fit a 390 px phone, and their drawn height
has room for them: a phone's plot keeps the full width (a legend beside it left the plot ~80 px wide) and its
height (Vega shares a fixed height out, so a legend without room squeezes the plot)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import vl_convert

from core.engine import charts
from core.shakespeare import charts as char_charts
from core.shakespeare.config import RunSummary
from core.stocks import charts as stock_charts
from core.stocks.config import PERSISTENCE
from tests.helpers import spec_dicts
from ui.charts import CHART_CHROME, chart_height, legend_px

PHONE_CHART = 358  # px a chart gets on a 390 px screen (Streamlit's side padding)
MODEL = "GRU many-to-one"
NAMES = [stock_charts.ACTUAL, MODEL, PERSISTENCE, "Moving average (5 days)"]


def history():
    steps = np.arange(1, 21)
    batches = pd.DataFrame(
        {
            "step": steps,
            "epoch": (steps - 1) // 10 + 1,
            "loss": 1 / steps,
            "grad_norm": 2.0 / steps,
            "grad_norm/rnn_1": 1.5 / steps,
            "grad_norm/output": 0.5 / steps,
        }
    )
    return batches, pd.DataFrame({"epoch": [1, 2], "loss": [0.3, 0.1], "val_loss": [0.35, 0.2]})


def runs():
    batches, epochs = history()
    starts = [charts.RunStart(name, 20 * i, 2 * i) for i, name in enumerate(["without clipping", "with clipping"])]
    joined = pd.concat([batches.assign(step=batches["step"] + 20 * i, epoch=batches["epoch"] + 2 * i) for i in (0, 1)])
    eps = pd.concat([epochs.assign(epoch=[1 + 2 * i, 2 + 2 * i]) for i in (0, 1)])
    return charts.by_run(joined.reset_index(drop=True), eps.reset_index(drop=True), starts)


def forecasts() -> pd.DataFrame:
    dates = pd.bdate_range("2024-01-01", periods=30)
    return pd.concat(
        [
            pd.DataFrame({"date": dates, "forecaster": n, "price": 100 + np.sin(np.arange(30) + i)})
            for i, n in enumerate(NAMES)
        ]
    )


def wide_legend_charts() -> dict:
    batches, _ = history()
    run_batches, run_epochs = runs()
    frame = forecasts()
    residuals = frame[frame["forecaster"] != stock_charts.ACTUAL].assign(residual=lambda f: f["price"] - 100)
    horizons = pd.DataFrame([{"forecaster": n, "days ahead": k, "RMSE": 1.0 + k} for n in NAMES[1:] for k in (1, 2, 3)])
    split = pd.DataFrame(
        {"date": frame["date"].unique(), "close": 100.0, "split": ["train"] * 20 + ["validation"] * 5 + ["test"] * 5}
    )
    curve = pd.DataFrame({"step": [1, 2], "loss": [4.0, 3.0], "elapsed_s": [0.1, 0.2]})
    shakespeare_runs = [
        RunSummary(i, f"#{i} {cell}, 256 units", cell, curve, 2.5, 1.0, 2)
        for i, cell in enumerate(["GRU", "LSTM", "SimpleRNN"], 1)
    ]
    return {
        "gradient norm per layer": charts.gradient_norm_chart(batches, clip_norm=1.0),
        "global gradient norm, runs": charts.gradient_norm_chart(run_batches, clip_norm=1.0),
        "loss, runs overlaid": charts.training_curves(run_batches, run_epochs),
        "stocks split": stock_charts.price_history_chart(split),
        "stocks predictions": stock_charts.predictions_chart(frame, MODEL, "GRU"),
        "stocks forecast from": stock_charts.forecast_from_chart(frame, MODEL, "GRU", frame["date"].iloc[10]),
        "stocks residuals": stock_charts.residuals_chart(residuals, MODEL, "GRU"),
        "stocks residual histogram": stock_charts.residual_histogram(residuals, MODEL, "GRU"),
        "stocks horizons": stock_charts.horizon_chart(horizons, MODEL, "GRU"),
        "shakespeare runs": char_charts.run_comparison_chart(char_charts.run_comparison_frame(shakespeare_runs)),
    }


def legends(spec) -> list[dict]:
    """Every legend a spec's colour and stroke-dash encodings set (a legend=None is none)."""
    return [
        x[channel]["legend"]
        for x in spec_dicts(spec)
        for channel in ("color", "strokeDash")
        if isinstance(x.get(channel), dict) and isinstance(x[channel].get("legend"), dict)
    ]


def natural_size(chart, width: int) -> tuple[float, float]:
    """The SVG's width and height when Vega sizes the chart itself (plot `width` px wide, its own plot height)."""
    spec = {**chart.to_dict(), "width": width, "autosize": {"type": "pad", "contains": "padding"}}
    svg = vl_convert.vegalite_to_svg(spec)
    w, h = re.search(r'<svg[^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups()
    return float(w), float(h)


@pytest.mark.parametrize("name", list(wide_legend_charts()))
def test_wide_legends_sit_below_the_plot_in_columns_that_fit_a_phone(name):
    chart = wide_legend_charts()[name]
    found = legends(chart.to_dict())
    assert found, f"{name}: no legend"
    for legend in found:
        assert legend.get("orient") == "bottom", f"{name}: legend {legend}"
        assert legend["columns"] * (legend["labelLimit"] + 28) <= charts.LEGEND_WIDTH  # symbol, label, gap
    assert legend_px(chart) >= charts.LEGEND_ROW  # the drawn height has room for it
    assert chart_height(chart) == chart.height + CHART_CHROME + legend_px(chart)


@pytest.mark.parametrize("name", ["gradient norm per layer", "stocks predictions", "loss, runs overlaid"])
def test_a_phone_chart_keeps_its_plot_and_fits_the_screen(name):
    """Drawn by Vega at a phone's width: nothing wider than the screen, and the chart's own size (plot, axes,
    title and the legend below) within the height it is given, so the plot is not squeezed."""
    chart = wide_legend_charts()[name]
    plot_width = PHONE_CHART - 70  # the y axis's labels and title take the rest
    width, height = natural_size(chart, plot_width)
    assert width <= PHONE_CHART + 20
    assert height <= chart_height(chart)


def test_surprise_text_wraps_between_words_and_its_colour_bar_sits_below():
    text = "Whether tis nobler in the mind to suffer the slings and arrows"
    table = char_charts.surprise_table(text, np.ones(len(text)), width=20)
    rows = ["".join(part["char"]) for _, part in table.groupby("line")]
    assert rows == ["Whether tis nobler ", "in the mind to ", "suffer the slings ", "and arrows"]
    assert table["column"].max() < 20
    assert char_charts.surprise_table("x" * 45, np.ones(45), width=20)["line"].max() == 2  # a long word is cut
    exact = "ninechars tenletters end"  # "tenletters" would fill the row and push its space onto the next one
    rows = [
        "".join(part["char"]) for _, part in char_charts.surprise_table(exact, np.ones(24), width=20).groupby("line")
    ]
    assert rows == ["ninechars ", "tenletters end"]
    chart = char_charts.surprise_chart(table)
    assert [legend["orient"] for legend in legends(chart.to_dict())] == ["bottom"]
    assert legend_px(chart) > 0
    assert char_charts.ROW_CHARS <= 40  # ~8.5 px per character on a phone: the letters do not overlap
