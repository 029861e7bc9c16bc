"""Altair charts for the stock-price forecasting page.

Each builder takes a long DataFrame from `core.stocks.forecasting` and returns a chart with
tooltips and x-zoom (drag to pan, scroll to zoom, double-click to reset). Colours: the
actual price is near-black, the model wears its cell's colour (`core.engine.charts.CELL_COLORS`),
the baselines are grey and dashed - so "the model" always stands out from "the yardsticks".
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.engine import palette
from core.engine.charts import CELL_COLORS, SPLIT_COLORS, bottom_legend, legend_room
from core.stocks.config import PERSISTENCE

ACTUAL = "Actual close"
HISTORY = "Known history"
ACTUAL_COLOR = palette.BLACK
REGION_COLORS = {"train": SPLIT_COLORS["train"], "validation": SPLIT_COLORS["validation"], "test": SPLIT_COLORS["test"]}


def forecaster_colors(names: list[str], model_name: str, cell: str) -> dict[str, str]:
    """Colour per line: actual/history black, model by cell, persistence grey, others light grey."""
    colors = {}
    for name in names:
        if name in (ACTUAL, HISTORY):
            colors[name] = ACTUAL_COLOR
        elif name == model_name:
            colors[name] = CELL_COLORS.get(cell, palette.BLUE)
        elif name == PERSISTENCE:
            colors[name] = CELL_COLORS["Persistence"]
        else:
            colors[name] = CELL_COLORS["Moving average"]
    return colors


def _color(names: list[str], colors: dict[str, str], title: str = "") -> alt.Color:
    """Legend below the plot, in columns that fit a phone (beside it, it left a phone's plot ~80 px wide), with
    room for the long baseline names; the chart adds `legend_room(names)` to its height."""
    return alt.Color(
        "forecaster:N",
        title=title,
        scale=alt.Scale(domain=names, range=[colors[n] for n in names]),
        legend=bottom_legend(names),
    )


def _dash(model_name: str) -> alt.StrokeDash:
    """Solid for the actual price and the model, dashed for the baselines."""
    solid = [ACTUAL, HISTORY, model_name]
    return alt.condition(alt.FieldOneOfPredicate("forecaster", solid), alt.value([1, 0]), alt.value([5, 3]))


def _x_zoom() -> alt.Parameter:
    return alt.selection_interval(bind="scales", encodings=["x"])


# ----------------------------------------------------------------------------- history


def region_spans(frame: pd.DataFrame) -> pd.DataFrame:
    """(split, start, end, days) for each contiguous region of the `split` column."""
    spans = []
    for _, part in frame.groupby((frame["split"] != frame["split"].shift()).cumsum()):
        spans.append(
            {
                "split": part["split"].iloc[0],
                "start": part["date"].iloc[0],
                "end": part["date"].iloc[-1],
                "days": len(part),
            }
        )
    return pd.DataFrame(spans)


def price_history_chart(frame: pd.DataFrame, title: str = "Closing price") -> alt.Chart:
    """The close over time on shaded train / validation / test regions."""
    spans = region_spans(frame)
    domain = [s for s in REGION_COLORS if s in set(spans["split"])]
    regions = (
        alt.Chart(spans)
        .mark_rect(opacity=0.15)
        .encode(
            x=alt.X("start:T", title="date"),
            x2="end:T",
            color=alt.Color(
                "split:N",
                title="split",
                scale=alt.Scale(domain=domain, range=[REGION_COLORS[s] for s in domain]),
                legend=bottom_legend(domain, title=None),
            ),
            tooltip=[
                alt.Tooltip("split:N"),
                alt.Tooltip("start:T", title="from", format="%Y-%m-%d"),
                alt.Tooltip("end:T", title="to", format="%Y-%m-%d"),
                alt.Tooltip("days:Q", title="trading days", format=","),
            ],
        )
    )
    line = (
        alt.Chart(frame)
        .mark_line(color=ACTUAL_COLOR, strokeWidth=1.2)
        .encode(
            x=alt.X("date:T", title="date"),
            y=alt.Y("close:Q", title="closing price", scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("date:T", format="%Y-%m-%d"),
                alt.Tooltip("close:Q", title="close", format=",.2f"),
                alt.Tooltip("split:N"),
            ],
        )
    )
    return (regions + line).add_params(_x_zoom()).properties(height=280, title=title, **legend_room(domain))


# ----------------------------------------------------------------------------- predictions


def predictions_chart(frame: pd.DataFrame, model_name: str, cell: str, days_ahead: int = 1) -> alt.LayerChart:
    """Actual close vs the model's and the baselines' forecasts over the test range.

    Hovering shows every forecaster's value for that day at once; clicking a legend
    entry highlights one line.
    """
    names = list(dict.fromkeys(frame["forecaster"]))
    colors = forecaster_colors(names, model_name, cell)
    legend = alt.selection_point(fields=["forecaster"], bind="legend")
    hover = alt.selection_point(fields=["date"], nearest=True, on="pointerover", empty=False, clear="pointerout")
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title="forecast day"),
        y=alt.Y("price:Q", title="price", scale=alt.Scale(zero=False)),
        color=_color(names, colors),
    )
    lines = base.mark_line(strokeWidth=1.6).encode(
        strokeDash=_dash(model_name),
        opacity=alt.condition(legend, alt.value(1.0), alt.value(0.15)),
    )
    wide = frame.pivot_table(index="date", columns="forecaster", values="price").reset_index()
    rule = (
        alt.Chart(wide)
        .mark_rule(color=palette.NEUTRAL)
        .encode(
            x="date:T",
            opacity=alt.condition(hover, alt.value(0.6), alt.value(0)),
            tooltip=[alt.Tooltip("date:T", title="forecast day", format="%Y-%m-%d")]
            + [alt.Tooltip(field=_escape(n), type="quantitative", title=n, format=",.2f") for n in names],
        )
        .add_params(hover)
    )
    points = base.mark_point(filled=True, size=40).encode(
        opacity=alt.condition(hover, alt.value(1), alt.value(0)),
    )
    ahead = "next-day" if days_ahead == 1 else f"{days_ahead}-days-ahead"
    return (
        alt.layer(lines.add_params(legend, _x_zoom()), points, rule)
        .properties(height=340, title=f"Test range: {ahead} forecasts", **legend_room(names))
        .resolve_scale(color="shared")
    )


def _escape(name: str) -> str:
    """Field names with dots, brackets or colons must be escaped in Vega-Lite."""
    for ch in "\\.[]:":
        name = name.replace(ch, "\\" + ch)
    return name


def forecast_from_chart(frame: pd.DataFrame, model_name: str, cell: str, origin: pd.Timestamp) -> alt.LayerChart:
    """The window the model read, then the next K days: actual, model and baselines."""
    names = list(dict.fromkeys(frame["forecaster"]))
    colors = forecaster_colors(names, model_name, cell)
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title="date", scale=alt.Scale(padding=14)),
        y=alt.Y("price:Q", title="price", scale=alt.Scale(zero=False, padding=14)),
        color=_color(names, colors),
        detail="forecaster:N",
        tooltip=[
            alt.Tooltip("forecaster:N", title="line"),
            alt.Tooltip("date:T", format="%Y-%m-%d"),
            alt.Tooltip("price:Q", format=",.2f"),
        ],
    )
    lines = base.mark_line(strokeWidth=2).encode(strokeDash=_dash(model_name))
    points = base.transform_filter(alt.datum.forecaster != HISTORY).mark_point(filled=True, size=50)
    rule = (
        alt.Chart(pd.DataFrame({"date": [origin], "label": [f"forecast made after the close of {origin:%Y-%m-%d}"]}))
        .mark_rule(color=palette.NEUTRAL, strokeDash=list(palette.THRESHOLD_DASH))
        .encode(x="date:T", tooltip=[alt.Tooltip("label:N", title="")])
    )
    return (
        alt.layer(lines, points, rule)
        .properties(height=320, title=f"Forecast from {origin:%Y-%m-%d}", **legend_room(names))
        .interactive()
    )


# ----------------------------------------------------------------------------- residuals and horizons


def residuals_chart(frame: pd.DataFrame, model_name: str, cell: str) -> alt.LayerChart:
    """Residual (actual - forecast) per test day for the model and persistence, around zero."""
    names = list(dict.fromkeys(frame["forecaster"]))
    colors = forecaster_colors(names, model_name, cell)
    points = (
        alt.Chart(frame)
        .mark_circle(size=18, opacity=0.7)
        .encode(
            x=alt.X("date:T", title="forecast day"),
            y=alt.Y("residual:Q", title="actual - forecast (price units)"),
            color=_color(names, colors),
            tooltip=[
                alt.Tooltip("forecaster:N"),
                alt.Tooltip("date:T", format="%Y-%m-%d"),
                alt.Tooltip("residual:Q", format="+,.2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=palette.NEUTRAL).encode(y="y:Q")
    return (
        (points + zero)
        .add_params(_x_zoom())
        .properties(height=280, title="Residuals over the test range", **legend_room(names))
    )


def residual_histogram(frame: pd.DataFrame, model_name: str, cell: str) -> alt.Chart:
    """How residuals are distributed: centred on zero = unbiased; narrower = more accurate."""
    names = list(dict.fromkeys(frame["forecaster"]))
    colors = forecaster_colors(names, model_name, cell)
    return (
        alt.Chart(frame)
        .mark_bar(opacity=0.55, binSpacing=0)
        .encode(
            x=alt.X("residual:Q", bin=alt.Bin(maxbins=40), title="actual - forecast (price units)"),
            y=alt.Y("count():Q", stack=None, title="test days"),
            color=_color(names, colors),
            tooltip=[alt.Tooltip("forecaster:N"), alt.Tooltip("count():Q", title="days")],
        )
        .properties(height=220, title="Distribution of residuals", **legend_room(names))
    )


def horizon_chart(table: pd.DataFrame, model_name: str, cell: str) -> alt.Chart:
    """RMSE for each day ahead: errors grow with the horizon for everyone, baselines included."""
    names = list(dict.fromkeys(table["forecaster"]))
    colors = forecaster_colors(names, model_name, cell)
    return (
        alt.Chart(table)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("days ahead:O", title="days ahead (k)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("RMSE:Q", title="test RMSE (price units)", scale=alt.Scale(zero=False)),
            color=_color(names, colors),
            strokeDash=_dash(model_name),
            tooltip=[alt.Tooltip("forecaster:N"), alt.Tooltip("days ahead:O"), alt.Tooltip("RMSE:Q", format=",.3f")],
        )
        .properties(height=260, title="Error by forecast horizon", **legend_room(names))
    )
