"""The board's charts, in presenter sizes (large fonts and marks, for a projector): Altair, no Streamlit."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.engine.charts import empty_chart, series_scale
from core.engine.palette import BLUE, SERIES

FONT = 18
TITLE_FONT = 22
HEIGHT = 420
# The overlay's second channel once the palette's colours run out (a fifth run): its validation dots' shape.
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross")


def _presenter(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure_axis(labelFontSize=FONT, titleFontSize=FONT)
        .configure_legend(labelFontSize=FONT - 2, titleFontSize=FONT, labelLimit=360, orient="bottom", columns=2)
        .configure_title(fontSize=TITLE_FONT)
    )


def overlay(data: pd.DataFrame, label: str) -> alt.TopLevelMixin:
    """The chosen runs' curves on one axis from 0: one colour per run from the shared palette (named in the
    legend, as in the compare view), training solid, validation dashed with dots, x in epochs so runs with
    different batch sizes line up."""
    if data.empty:
        return empty_chart(f"{label}: choose runs that recorded it")
    runs = list(dict.fromkeys(data["run"]))
    base = alt.Chart(data).encode(
        x=alt.X("epochs:Q", title="epochs of training", scale=alt.Scale(domainMin=0)),
        y=alt.Y("value:Q", title=label, scale=alt.Scale(zero=True)),
        color=alt.Color("run:N", title="run", sort=runs, scale=series_scale(runs)),  # the compare view's colours
        detail="curve:N",
        strokeDash=alt.StrokeDash(
            "curve:N", scale=alt.Scale(domain=["training", "validation"], range=[[1, 0], [8, 4]]), legend=None
        ),
        tooltip=["run:N", "curve:N", alt.Tooltip("epochs:Q", format=".2f"), alt.Tooltip("value:Q", format=".4f")],
    )
    validation = base.transform_filter(alt.datum.curve == "validation")
    train = base.transform_filter(alt.datum.curve == "training").mark_line(strokeWidth=3)
    dots = validation.mark_point(size=120, filled=True, opacity=1).encode(
        shape=alt.Shape("run:N", title="run", sort=runs, scale=alt.Scale(domain=runs, range=run_shapes(runs)))
    )
    chart = train + validation.mark_line(strokeWidth=3) + dots
    return _presenter(chart.properties(height=HEIGHT, title=f"{label}, the chosen runs"))


def run_shapes(runs: list[str]) -> list[str]:
    """Circles for the first runs, then another shape per further round of the palette's colours: a fifth run
    shares the first one's colour but not its dots."""
    return [SHAPES[(i // len(SERIES)) % len(SHAPES)] for i in range(len(runs))]


def setting_scatter(data: pd.DataFrame, setting: str, metric: str) -> alt.TopLevelMixin:
    """One dot per run: a setting against the held-out score, so the class sees which knob mattered."""
    if data.empty:
        return empty_chart("no scored runs yet")
    numeric = pd.api.types.is_numeric_dtype(data["setting"])
    x = alt.X("setting:Q" if numeric else "setting:N", title=setting, axis=alt.Axis(labelAngle=0))
    chart = (
        alt.Chart(data)
        .mark_circle(size=260, opacity=0.75, color=BLUE)  # one colour: the overlay's colours name runs
        .encode(
            x=x,
            y=alt.Y("score:Q", title=metric, scale=alt.Scale(zero=False)),
            tooltip=["run:N", "setting:N", alt.Tooltip("score:Q", format=".4f")],
        )
        .properties(height=HEIGHT, title=f"{metric} against {setting}")
    )
    if not numeric:
        chart = chart.encode(xOffset=alt.XOffset("run:N"))
    return _presenter(chart)
