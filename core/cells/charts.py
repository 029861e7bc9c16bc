"""Altair charts for looking inside a cell and at word embeddings.

The main one is a units x time heatmap of a hidden state or gate, linked to two views of
the unit under the pointer: its value over the sequence, and the input text with every
token shaded by that unit's value - so "which words does unit 7 fire on?" is one hover away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from core.engine import palette

if TYPE_CHECKING:  # TensorFlow-free at run time: the quantities come with the trace
    from core.cells.internals import CellTrace, Quantity

MAX_UNITS_SHOWN = 64
MAX_STEPS_SHOWN = 200
TOKENS_PER_ROW = 10
# Gates drawn together never differ by red vs green alone: four palette colours, and a dash for the GRU's reset
GATE_COLORS = {
    "f": palette.BLUE,
    "i": palette.SKY_BLUE,
    "o": palette.VERMILLION,
    "z": palette.BLACK,
    "r": palette.VERMILLION,
}
GATE_DASHES = {"f": [1, 0], "i": [6, 3], "o": [1, 0], "z": [2, 2], "r": [8, 3, 2, 3]}


# ----------------------------------------------------------------------------- choosing what to show


def most_active_units(values: np.ndarray, count: int) -> list[int]:
    """Indices of the `count` units that change most over the sequence (largest spread first)."""
    spread = np.nan_to_num(np.nanstd(values, axis=0), nan=0.0)
    return [int(u) for u in np.argsort(-spread, kind="stable")[:count]]


def shown_steps(total: int, padding: int, max_steps: int = MAX_STEPS_SHOWN, include_padding: bool = False) -> range:
    """The steps to draw: the content (not the leading padding) and at most `max_steps` of it, the last ones."""
    start = 0 if include_padding else min(padding, max(0, total - 1))
    start = max(start, total - max_steps)
    return range(start, total)


def activation_frame(values: np.ndarray, labels: list[str], units: list[int], steps: range) -> pd.DataFrame:
    """Long table (one row per unit and step) for the linked heatmap views."""
    rows = []
    for order, t in enumerate(steps):
        token = labels[t]
        position = f"{t + 1}|{token}"
        for unit in units:
            value = values[t, unit]
            rows.append(
                {
                    "step": t + 1,
                    "token": token,
                    "position": position,
                    "unit": unit,
                    "value": None if np.isnan(value) else float(value),
                    "row": order // TOKENS_PER_ROW,
                    "column": order % TOKENS_PER_ROW,
                }
            )
    return pd.DataFrame(rows)


def _color_scale(quantity: Quantity, values: pd.Series) -> alt.Scale:
    """Gates on a fixed 0..1 scale (so 'closed' and 'open' look the same everywhere); states on a
    symmetric scale fitted to the data, so the small states of an untrained cell are still visible."""
    if quantity.bounded == (0.0, 1.0):
        return alt.Scale(scheme="viridis", domain=[0, 1])
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    limit = max(float(np.abs(finite).max()) if len(finite) else 1.0, 0.05)
    return alt.Scale(scheme=palette.DIVERGING, domain=[-limit, limit], domainMid=0)


# ----------------------------------------------------------------------------- the linked unit views


def unit_explorer(frame: pd.DataFrame, quantity: Quantity, title: str, default_unit: int) -> alt.VConcatChart:
    """Heatmap (units x time) + the pointed-at unit over time + the text shaded by that unit.

    Hovering a cell of the heatmap selects its unit; the two views below follow.
    """
    steps = frame["step"].nunique()
    units = frame["unit"].nunique()
    width = int(min(680, max(420, steps * 9)))  # fits the page's centred column; labels thin out when dense
    pick = alt.selection_point(
        name="unit_pick", fields=["unit"], on="mouseover", clear=False, value=[{"unit": default_unit}]
    )
    scale = _color_scale(quantity, frame["value"])
    limit = max(abs(v) for v in scale.domain)
    color = alt.Color("value:Q", title=quantity.symbol, scale=scale)
    x_axis = alt.X(
        "position:O",
        title="input step (token)",
        sort=alt.SortField("step"),
        axis=alt.Axis(labelExpr="slice(datum.label, indexof(datum.label, '|') + 1)", labelAngle=-60, labelLimit=90),
    )
    tooltip = [
        alt.Tooltip("unit:O", title="unit"),
        alt.Tooltip("step:Q", title="step"),
        alt.Tooltip("token:N", title="input"),
        alt.Tooltip("value:Q", title=quantity.symbol, format=".3f"),
    ]
    heatmap = (
        alt.Chart()
        .mark_rect()
        .encode(
            x=x_axis,
            y=alt.Y(
                "unit:O",
                title="unit (most active first)",
                sort=None,
                axis=alt.Axis(labelFontSize=9, labelOverlap=False),
            ),
            color=color,
            stroke=alt.condition(pick, alt.value("black"), alt.value(None)),
            tooltip=tooltip,
        )
        .add_params(pick)
        .properties(width=width, height=int(min(780, max(140, units * 12))), title=title)
    )
    line = (
        alt.Chart()
        .mark_line(point=True, color=palette.BLACK)
        .encode(
            x=x_axis,
            y=alt.Y("value:Q", title=f"{quantity.symbol} of the unit under the pointer"),
            tooltip=tooltip,
        )
        .transform_filter(pick)
        .properties(width=width, height=160)
    )
    cell_width = 64
    base_text = alt.Chart().encode(
        x=alt.X("column:O", axis=None),
        y=alt.Y("row:O", axis=None),
        tooltip=tooltip,
    )
    text_view = (
        base_text.mark_rect(stroke="white").encode(color=color)
        + base_text.mark_text(fontSize=11, limit=cell_width - 4).encode(
            text="token:N",
            color=alt.condition(
                "datum.value < 0.35" if quantity.bounded == (0.0, 1.0) else f"abs(datum.value) > {0.6 * limit:.4g}",
                alt.value("white"),
                alt.value("black"),
            ),
        )
    ).transform_filter(pick)
    rows = int(frame["row"].max() + 1) if len(frame) else 1
    text_view = text_view.properties(
        width=TOKENS_PER_ROW * cell_width, height=rows * 22, title="The input, shaded by the same unit"
    )
    return alt.vconcat(heatmap, line, text_view, data=frame).resolve_scale(color="shared")


def unit_summary(values: np.ndarray, labels: list[str], units: list[int], steps: range) -> pd.DataFrame:
    """For each unit: its spread, and the inputs where it is highest and lowest."""
    window = list(steps)
    rows = []
    for unit in units:
        column = values[window, unit]
        if np.all(np.isnan(column)):
            continue
        high, low = int(np.nanargmax(column)), int(np.nanargmin(column))
        rows.append(
            {
                "unit": unit,
                "spread (std)": float(np.nanstd(column)),
                "highest at": f"{labels[window[high]]} (step {window[high] + 1})",
                "highest": float(column[high]),
                "lowest at": f"{labels[window[low]]} (step {window[low] + 1})",
                "lowest": float(column[low]),
            }
        )
    return pd.DataFrame(rows)


def gate_means_chart(trace: CellTrace, labels: list[str], steps: range) -> alt.Chart | None:
    """Average of each gate over all units, per step: where the cell as a whole forgets or writes."""
    known = {q.key: q for q in trace.quantities()}
    gates = [k for k in trace.values if k in known and known[k].bounded == (0.0, 1.0)]
    if not gates:
        return None
    rows = []
    for t in steps:
        for key in gates:
            value = float(np.nanmean(trace.values[key][t])) if not np.all(np.isnan(trace.values[key][t])) else None
            rows.append(
                {
                    "step": t + 1,
                    "position": f"{t + 1}|{labels[t]}",
                    "token": labels[t],
                    "gate": known[key].label,
                    "mean": value,
                }
            )
    frame = pd.DataFrame(rows)
    domain = [known[k].label for k in gates]
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=alt.X(
                "position:O",
                title="input step (token)",
                sort=alt.SortField("step"),
                axis=alt.Axis(labelExpr="slice(datum.label, indexof(datum.label, '|') + 1)", labelAngle=-60),
            ),
            y=alt.Y("mean:Q", title="mean over units", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "gate:N", title="gate", scale=alt.Scale(domain=domain, range=[GATE_COLORS[k] for k in gates])
            ),
            strokeDash=alt.StrokeDash(
                "gate:N", legend=None, scale=alt.Scale(domain=domain, range=[GATE_DASHES[k] for k in gates])
            ),
            tooltip=["gate:N", "step:Q", alt.Tooltip("token:N", title="input"), alt.Tooltip("mean:Q", format=".3f")],
        )
        .properties(height=220, title="Gates averaged over all units")
    )


# ----------------------------------------------------------------------------- embeddings


def _push_scale(frame: pd.DataFrame) -> alt.Scale:
    limit = float(np.nanmax(np.abs(frame["push"]))) if len(frame) else 0.0
    limit = max(limit, 0.01)
    return alt.Scale(scheme=palette.DIVERGING, domain=[-limit, limit], domainMid=0)


EMBEDDING_TOOLTIP = [
    alt.Tooltip("word:N"),
    alt.Tooltip("rank:Q", title="frequency rank"),
    alt.Tooltip("positivity:Q", title="P(positive) of the word alone", format=".3f"),
    alt.Tooltip("push:Q", title="push vs. an empty review", format="+.3f"),
]


def embedding_scatter(frame: pd.DataFrame, label_count: int = 60) -> alt.LayerChart:
    """Words in the 2-D PCA plane, coloured by how far each word alone pushes the prediction.

    `frame` has word, x, y, positivity, push, rank and role ("chosen word", "neighbour", "other").
    Only the `label_count` most frequent words (and the chosen word with its neighbours) are labelled.
    """
    base = alt.Chart(frame).encode(
        x=alt.X("x:Q", title="1st principal component"),
        y=alt.Y("y:Q", title="2nd principal component"),
    )
    points = base.mark_circle(opacity=0.85).encode(
        color=alt.Color("push:Q", title="push to positive", scale=_push_scale(frame)),
        size=alt.condition(alt.datum.role == "other", alt.value(45), alt.value(160)),
        stroke=alt.condition(alt.datum.role == "other", alt.value(None), alt.value("black")),
        tooltip=[*EMBEDDING_TOOLTIP, alt.Tooltip("role:N")],
    )
    frequent = base.transform_filter((alt.datum.rank <= label_count) & (alt.datum.role == "other"))
    labels = frequent.mark_text(align="left", dx=6, fontSize=11).encode(text="word:N", tooltip=EMBEDDING_TOOLTIP)
    chosen = base.transform_filter(alt.datum.role != "other")
    chosen_labels = chosen.mark_text(align="left", dx=8, fontSize=13, fontWeight="bold").encode(
        text="word:N", tooltip=EMBEDDING_TOOLTIP
    )
    chart = points + labels + chosen_labels
    return chart.properties(height=520, title="Learned word embeddings (PCA to 2-D)").interactive()


def neighbours_chart(frame: pd.DataFrame, word: str) -> alt.Chart:
    """Cosine similarity of the nearest words, coloured like the scatter plot."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("similarity:Q", title="cosine similarity", scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("word:N", title="", sort="-x"),
            color=alt.Color("push:Q", title="push to positive", scale=_push_scale(frame)),
            tooltip=[alt.Tooltip("similarity:Q", format=".3f"), *EMBEDDING_TOOLTIP[:1], *EMBEDDING_TOOLTIP[2:]],
        )
        .properties(height=max(160, 24 * len(frame)), title=f"Nearest neighbours of '{word}'")
    )
