"""Altair chart builders shared by every page: training curves and gradient norms.

Each builder takes plain DataFrames/arrays and returns an `alt.Chart`, so it is testable
without a browser. Colours are fixed per cell type (and per split) across the app, so a
GRU is the same green on every page.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

CELL_COLORS = {
    "SimpleRNN": "#e45756",
    "LSTM": "#4c78a8",
    "GRU": "#54a24b",
    "Dense": "#9d755d",
    "Persistence": "#7f7f7f",
    "Moving average": "#bab0ac",
}
SPLIT_COLORS = {"train (per batch)": "#c6dbef", "train": "#1f77b4", "validation": "#ff7f0e", "test": "#2ca02c"}
GLOBAL_NORM = "global (all layers)"


def cell_color_scale(cells: list[str]) -> alt.Scale:
    return alt.Scale(domain=cells, range=[CELL_COLORS.get(c, "#888888") for c in cells])


def empty_chart(message: str) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(size=14, color="#888")
        .encode(text="text:N")
        .properties(height=120)
    )


def training_curves(
    batches: pd.DataFrame, epochs: pd.DataFrame, value: str = "loss", title: str | None = None
) -> alt.Chart:
    """`value` per batch (faint), and per epoch for training and validation (bold, dots).

    x is the optimiser step; epoch points sit at the step that ended the epoch.
    """
    label = title or value.replace("_", " ")
    if batches.empty or value not in batches:
        return empty_chart(f"{label}: no steps yet")
    layers = []
    per_batch = batches[["step", "epoch", value]].rename(columns={value: "value"}).assign(series="train (per batch)")
    layers.append(per_batch)
    if not epochs.empty and value in epochs:
        ends = batches.groupby("epoch")["step"].max()
        ep = epochs.assign(step=epochs["epoch"].map(ends))
        layers.append(ep[["step", "epoch", value]].rename(columns={value: "value"}).assign(series="train"))
        if f"val_{value}" in ep:
            layers.append(
                ep[["step", "epoch", f"val_{value}"]]
                .rename(columns={f"val_{value}": "value"})
                .assign(series="validation")
            )
    data = pd.concat(layers, ignore_index=True).dropna(subset=["value"])
    domain = [s for s in SPLIT_COLORS if s in set(data["series"])]
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[SPLIT_COLORS[s] for s in domain]),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    base = alt.Chart(data).encode(
        x=alt.X("step:Q", title="training step (batches seen)"),
        y=alt.Y("value:Q", title=label, scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[
            alt.Tooltip("series:N", title="curve"),
            alt.Tooltip("epoch:Q"),
            alt.Tooltip("step:Q"),
            alt.Tooltip("value:Q", title=label, format=".4f"),
        ],
    )
    lines = base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=50))
    faint = base.transform_filter(alt.datum.series == "train (per batch)").mark_line(strokeWidth=1)
    bold = lines.transform_filter(alt.datum.series != "train (per batch)")
    return (faint + bold).properties(height=260, title=label).interactive()


def _log_norm_lines(data: pd.DataFrame, x: alt.X, y: str, y_title: str, color: alt.Color, tooltip: list) -> alt.Chart:
    """Gradient norms as lines on a log scale (norms span orders of magnitude), the value in the tooltip."""
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log")),
            color=color,
            tooltip=[*tooltip, alt.Tooltip(f"{y}:Q", title="norm", format=".3g")],
        )
    )


def gradient_norm_chart(batches: pd.DataFrame, clip_norm: float | None = None) -> alt.Chart:
    """Gradient L2 norm per step on a log scale: one line per layer plus the global norm.

    The dashed rule marks the clip threshold: above it, the update is scaled down to it.
    """
    columns = [c for c in batches.columns if c.startswith("grad_norm/")] if not batches.empty else []
    if not columns:
        return empty_chart("gradient norms: no steps yet")
    long = batches.melt(
        id_vars=["step", "epoch"], value_vars=["grad_norm", *columns], var_name="layer", value_name="norm"
    )
    long["layer"] = long["layer"].str.replace("grad_norm/", "", regex=False).replace({"grad_norm": GLOBAL_NORM})
    long = long[np.isfinite(long["norm"]) & (long["norm"] > 0)]
    if long.empty:
        return empty_chart("gradient norms: all zero or non-finite")
    line = _log_norm_lines(
        long,
        x=alt.X("step:Q", title="training step"),
        y="norm",
        y_title="gradient L2 norm (log scale)",
        color=alt.Color("layer:N", title="layer"),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("step:Q"), alt.Tooltip("epoch:Q")],
    ).encode(strokeDash=alt.condition(alt.datum.layer == GLOBAL_NORM, alt.value([6, 3]), alt.value([1, 0])))
    chart = line
    if clip_norm:
        rule = (
            alt.Chart(pd.DataFrame({"clip": [clip_norm], "label": [f"clip norm = {clip_norm:g}"]}))
            .mark_rule(color="#d62728", strokeDash=[4, 4], strokeWidth=2)
            .encode(y="clip:Q", tooltip=[alt.Tooltip("label:N", title="threshold")])
        )
        chart = line + rule
    return chart.properties(height=260, title="Gradient norm per layer").interactive()


# ----------------------------------------------------------------------------- runs compared


def _run_color(runs: list[str]) -> alt.Color:
    """One colour per run (in the order given), the legend listing the runs by label."""
    return alt.Color(
        "run:N",
        title="run",
        scale=alt.Scale(domain=runs, scheme="category10"),
        legend=alt.Legend(orient="bottom", direction="vertical", columns=2, labelLimit=320),
    )


def _run_order(data: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(data["run"]))


def compare_curves(data: pd.DataFrame, label: str) -> alt.Chart:
    """Several runs' curves on shared axes (core.engine.compare.curves_frame): one colour per run,
    training as a solid line (running mean), validation per epoch dashed with dots.

    x is epochs of training, so runs with different batch sizes line up.
    """
    if data.empty:
        return empty_chart(f"{label}: the chosen runs recorded none")
    runs = _run_order(data)
    base = alt.Chart(data).encode(
        x=alt.X("epochs:Q", title="epochs of training"),
        y=alt.Y("value:Q", title=label, scale=alt.Scale(zero=False)),
        color=_run_color(runs),
        detail="curve:N",
        strokeDash=alt.StrokeDash(
            "curve:N",
            title="curve",
            scale=alt.Scale(domain=["training", "validation"], range=[[1, 0], [6, 3]]),
            legend=None,  # solid = training, dashed = validation: said in the caption (a second legend is clipped)
        ),
        tooltip=[
            alt.Tooltip("run:N"),
            alt.Tooltip("curve:N"),
            alt.Tooltip("epoch:Q"),
            alt.Tooltip("step:Q"),
            alt.Tooltip("value:Q", title=label, format=".4f"),
        ],
    )
    train = base.transform_filter(alt.datum.curve == "training").mark_line(strokeWidth=2)
    val = base.transform_filter(alt.datum.curve == "validation").mark_line(
        strokeWidth=2, point=alt.OverlayMarkDef(size=60)
    )
    return (train + val).properties(height=260, title=f"{label}, runs compared").interactive()


def compare_gradient_norms(data: pd.DataFrame) -> alt.Chart:
    """Each run's global gradient norm per step on a log scale (core.engine.compare.gradient_frame),
    with a dashed rule in the run's colour at its clip threshold."""
    if data.empty:
        return empty_chart("gradient norms: the chosen runs recorded none")
    runs = _run_order(data)
    color = _run_color(runs)
    line = _log_norm_lines(
        data,
        x=alt.X("epochs:Q", title="epochs of training"),
        y="grad_norm",
        y_title="global gradient L2 norm (log scale)",
        color=color,
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("epoch:Q"), alt.Tooltip("step:Q")],
    )
    chart = line
    clips = data.dropna(subset=["clip_norm"]).drop_duplicates("run")[["run", "clip_norm"]]
    if not clips.empty:
        rule = (
            alt.Chart(clips)
            .mark_rule(strokeDash=[4, 4], strokeWidth=2)
            .encode(
                y="clip_norm:Q",
                color=color,
                tooltip=[alt.Tooltip("run:N"), alt.Tooltip("clip_norm:Q", title="clip norm")],
            )
        )
        chart = line + rule
    return chart.properties(height=260, title="Gradient norm, runs compared").interactive()
