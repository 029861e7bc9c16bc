"""Altair chart builders shared by every page: training curves and gradient norms.

Each builder takes plain DataFrames/arrays and returns an `alt.Chart`, so it is testable
without a browser. Colours are fixed per cell type (and per split) across the app, so a
GRU is the same sky blue on every page.

A work that trains several runs one after another into one progress (the Gradient lab's
three cells, its runs without and with clipping) says where each run starts with the
progress extra RUN_STARTS (a list of RunStart); `by_run` then labels every row with its run
and counts steps and epochs from that run's start, and the curve builders overlay the runs
on one axis from 0, one colour per run, named in the legend - never end to end.

Axes: a log axis labels its ticks in one exponent format (LOG_FORMAT: 1e-10, 1e+0, 1e+10),
a linear axis with at most four significant digits (LINEAR_LABELS: 200, 0.25, 1.5e+13), so no
tick reads "1.9999999999999" or "15,000,000,000,000"; a curve whose values span more than three
orders of magnitude (a run that exploded) is drawn on a log axis and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from core.engine import palette
from core.engine.names import reader_name

# Every colour comes from the one colour-blind-safe palette (core/engine/palette.py).
CELL_COLORS = {
    **palette.CELL_COLORS,
    "Dense": palette.ORANGE,  # the one-to-one baseline: never drawn beside a SimpleRNN in one run's chart
    "Persistence": palette.NEUTRAL,
    "Moving average": palette.LIGHT_NEUTRAL,
}
SPLIT_COLORS = dict(palette.SPLIT_COLORS)
GLOBAL_NORM = "global (all layers)"
LOG_FORMAT = "~e"  # every tick of a log axis as 1e-6, 2e+3: one format, never "0.000001" beside "1e-10"
LINEAR_FORMAT = ".4~g"  # at most four significant digits: 2, 0.35, 1200, 1.5e+10
# A label expression, not an axis format: Vega would derive the precision of a format from the tick step.
LINEAR_LABELS = f"format(datum.value, '{LINEAR_FORMAT}')"
LOG_SPAN = 1e3  # values spanning more than this factor are drawn on a log axis
RUN_STARTS = "run starts"  # the LiveProgress extra of a several-run work: list[RunStart]
EDGE_PAD = 8  # px between a step axis's ends and the plot's edges: a dot at the last step is drawn whole


@dataclass(frozen=True)
class RunStart:
    """Where one run of a several-run progress begins: the steps and epochs before its first."""

    label: str
    step_offset: int
    epoch_offset: int


def log_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, format=LOG_FORMAT, labelOverlap=True)


def linear_axis(title: str, whole: bool = False) -> alt.Axis:
    """`whole`: the axis counts something (steps, positions), so no tick falls between two (1.5)."""
    return alt.Axis(title=title, labelExpr=LINEAR_LABELS, tickMinStep=1 if whole else alt.Undefined)


LEGEND_WIDTH = 320  # px a legend below a chart may fill: fits a 390 px phone screen's chart
LEGEND_ROW = 30  # px per row of a legend below a chart (Streamlit theme: 14 px labels, seen 20-30 px)
LEGEND_HEAD = 24  # px for its title and its gap below the axis title (measured: ~20)
LEGEND_ROOM = "legend_px"  # usermeta key: px a chart's legend below it needs (ui.charts adds them to its height)


def _label_px(label: str) -> int:
    """About how wide a legend entry is at the default 10-11 px font: symbol, text and padding."""
    return 28 + 6 * len(label)


def legend_columns(names: Sequence[str]) -> int:
    """How many entries fit side by side in LEGEND_WIDTH (at least one): the longest name sets the column width."""
    widest = max((_label_px(str(n)) for n in names), default=LEGEND_WIDTH)
    return max(1, min(len(names), LEGEND_WIDTH // max(widest, 1)))


def legend_rows(names: Sequence[str]) -> int:
    columns = legend_columns(names)
    return -(-len(names) // columns) if names else 0


def bottom_legend(names: Sequence[str], **title) -> alt.Legend:
    """A legend below the plot, in as many columns as fit a phone's chart (LEGEND_WIDTH), names cut beyond
    their column: the plot keeps the chart's full width on every screen (a legend beside it leaves a phone's
    plot ~80 px wide). Pair with `legend_room` so the chart's fixed height has room for it. `title=` optional."""
    columns = legend_columns(names)
    limit = LEGEND_WIDTH // columns - 28  # symbol and gap: the columns together stay within LEGEND_WIDTH
    return alt.Legend(orient="bottom", direction="horizontal", columns=columns, labelLimit=limit, **title)


def legend_room(*legends: Sequence[str]) -> dict:
    """The chart properties saying how many px its legends below the plot need (ui.charts adds them)."""
    px = sum(LEGEND_HEAD + LEGEND_ROW * legend_rows(names) for names in legends if names)
    return {"usermeta": {LEGEND_ROOM: px}}


def run_legend(runs: Sequence[str] = ()) -> alt.Legend:
    """The legend naming the runs, below the plot (beside it, it leaves a phone's plot ~80 px wide)."""
    return bottom_legend(runs)


def value_axis(values: pd.Series, label: str) -> tuple[alt.Scale, alt.Axis]:
    """A linear axis, or a log one when the positive values span more than LOG_SPAN (an explosion)."""
    finite = values[np.isfinite(values.astype(float))].astype(float)
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN:
        return alt.Scale(type="log"), log_axis(f"{label} (log scale)")
    if len(finite) and finite.max() - finite.min() < 1e-6 * max(abs(finite.mean()), 1e-12):
        middle, half = float(finite.mean()), max(abs(float(finite.mean())) * 0.01, 1e-12)
        return alt.Scale(domain=[middle - half, middle + half]), linear_axis(label)  # flat: no ticks 2, 2, 2
    return alt.Scale(zero=False), linear_axis(label)


def layer_name(layer: str) -> str:
    """A layer's reader's name in a legend: "recurrent layer 2" for rnn_2 (core.engine.names), the name itself
    when unknown."""
    name = reader_name(layer)
    return name if name == layer else name[0].lower() + name[1:]


def _run_of(values: pd.Series, offsets: Sequence[int], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For 1-based counts (steps or epochs) of a joined progress: each row's run label and its run's offset."""
    index = np.searchsorted(np.asarray(offsets), values.to_numpy(), side="left") - 1
    index = np.clip(index, 0, len(offsets) - 1)
    return np.asarray(labels, dtype=object)[index], np.asarray(offsets)[index]


def by_run(
    batches: pd.DataFrame, epochs: pd.DataFrame, starts: Sequence[RunStart] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The progress of several runs trained one after another, each row labelled with its run
    ("run") and its step and epoch counted from that run's start. Without starts, unchanged."""
    if not starts:
        return batches, epochs
    labels = [s.label for s in starts]
    if not batches.empty and "step" in batches:
        run, offset = _run_of(batches["step"], [s.step_offset for s in starts], labels)
        batches = batches.assign(run=run, step=batches["step"] - offset)
        if "epoch" in batches:
            batches = batches.assign(epoch=batches["epoch"] - _epoch_offsets(run, starts))
    if not epochs.empty and "epoch" in epochs:
        run, offset = _run_of(epochs["epoch"], [s.epoch_offset for s in starts], labels)
        epochs = epochs.assign(run=run, epoch=epochs["epoch"] - offset)
    return batches, epochs


def _epoch_offsets(runs: np.ndarray, starts: Sequence[RunStart]) -> np.ndarray:
    by_label = {s.label: s.epoch_offset for s in starts}
    return np.array([by_label[r] for r in runs], dtype=int)


def run_colors(runs: list[str]) -> alt.Scale:
    """One colour per run: the cells' own colours when every run is named after a distinct cell."""
    cells = [next((c for c in CELL_COLORS if r == c or r.startswith(f"{c},")), None) for r in runs]
    if None not in cells and len(set(cells)) == len(runs):
        return alt.Scale(domain=runs, range=[CELL_COLORS[c] for c in cells])  # type: ignore[index]
    return series_scale(runs)


def with_summary(spec: dict, batches: pd.DataFrame, column: str, label: str) -> dict:
    """The spec with a one-line text alternative saying what the curve did, for screen readers:
    "loss fell from 0.693 to 0.231 over 64 steps"."""
    values = batches[column].astype(float) if column in batches else pd.Series(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return {**spec, "description": f"{label}: no finished steps yet"}
    first, last = float(values.iloc[0]), float(values.iloc[-1])
    verb = "fell" if last < first else "rose" if last > first else "stayed"
    return {**spec, "description": f"{label} {verb} from {first:.3g} to {last:.3g} over {len(values)} steps"}


def series_scale(names: list[str]) -> alt.Scale:
    """The palette's series colours for these names, in order (repeating after four: pair with series_dash)."""
    return alt.Scale(domain=names, range=palette.series_colors(names))


def series_dash(field: str, names: list[str]) -> alt.StrokeDash:
    """Solid lines for the first four series, dashed ones after: a second channel beside colour."""
    return alt.StrokeDash(f"{field}:N", scale=alt.Scale(domain=names, range=palette.series_dashes(names)), legend=None)


def cell_color_scale(cells: list[str]) -> alt.Scale:
    return alt.Scale(domain=cells, range=[CELL_COLORS.get(c, palette.BLACK) for c in cells])


def empty_chart(message: str) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(size=14, color=palette.NEUTRAL)
        .encode(text="text:N")
        .properties(height=120)
    )


def training_curves(
    batches: pd.DataFrame, epochs: pd.DataFrame, value: str = "loss", title: str | None = None
) -> alt.Chart:
    """`value` per batch (faint), and per epoch for training and validation (bold, dots).

    x is the optimiser step; epoch points sit at the step that ended the epoch. When the rows
    carry a "run" column (by_run), each run is its own colour from step 0 (runs_curves).
    """
    label = title or value.replace("_", " ")
    if batches.empty or value not in batches:
        return empty_chart(f"{label}: no steps yet")
    if "run" in batches:
        return runs_curves(batches, epochs, value, label)
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
    data = _finite_values(pd.concat(layers, ignore_index=True))
    domain = [s for s in SPLIT_COLORS if s in set(data["series"])]
    y_scale, y_axis = value_axis(data["value"], label)
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[SPLIT_COLORS[s] for s in domain]),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    base = alt.Chart(data).encode(
        x=alt.X("step:Q", axis=linear_axis("training step (batches seen)", True), scale=alt.Scale(padding=EDGE_PAD)),
        y=alt.Y("value:Q", axis=y_axis, scale=y_scale),
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


def _finite_values(data: pd.DataFrame) -> pd.DataFrame:
    """Rows with a finite value (NaN/inf from a run that blew up cannot be drawn)."""
    values = pd.to_numeric(data["value"], errors="coerce")
    return data[np.isfinite(values)].assign(value=values[np.isfinite(values)])


def _epoch_points(batches: pd.DataFrame, epochs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Each run's epoch means (and validation) at the run's step that ended the epoch."""
    if epochs.empty or value not in epochs or "run" not in epochs:
        return pd.DataFrame(columns=["run", "step", "epoch", "value", "series"])
    ends = batches.groupby(["run", "epoch"])["step"].max().rename("step").reset_index()
    ep = epochs.merge(ends, on=["run", "epoch"], how="inner")
    parts = [ep[["run", "step", "epoch", value]].rename(columns={value: "value"}).assign(series="epoch mean")]
    if f"val_{value}" in ep:
        val = ep[["run", "step", "epoch", f"val_{value}"]].rename(columns={f"val_{value}": "value"})
        parts.append(val.assign(series="validation"))
    return pd.concat(parts, ignore_index=True)


def runs_curves(batches: pd.DataFrame, epochs: pd.DataFrame, value: str, label: str) -> alt.Chart:
    """Several runs' `value` overlaid from step 0: one colour per run (named in the legend), each
    batch as a thin line, epoch means as dots (validation dashed, only when there is some)."""
    per_batch = batches[["run", "step", "epoch", value]].rename(columns={value: "value"}).assign(series="per batch")
    data = _finite_values(pd.concat([per_batch, _epoch_points(batches, epochs, value)], ignore_index=True))
    runs = list(dict.fromkeys(batches["run"]))
    y_scale, y_axis = value_axis(data["value"], label)
    color = alt.Color(
        "run:N",
        title="run",
        scale=run_colors(runs),
        legend=run_legend(runs),
    )
    base = alt.Chart(data).encode(
        x=alt.X(
            "step:Q",
            axis=linear_axis("training step of each run (batches seen)", True),
            scale=alt.Scale(domainMin=0, padding=EDGE_PAD),
        ),
        y=alt.Y("value:Q", axis=y_axis, scale=y_scale),
        color=color,
        detail="series:N",
        tooltip=[
            alt.Tooltip("run:N"),
            alt.Tooltip("series:N", title="curve"),
            alt.Tooltip("epoch:Q"),
            alt.Tooltip("step:Q"),
            alt.Tooltip("value:Q", title=label, format=".4f"),
        ],
    )
    faint = base.transform_filter(alt.datum.series == "per batch").mark_line(strokeWidth=1.2, opacity=0.6)
    means = base.transform_filter(alt.datum.series == "epoch mean").mark_point(size=60, filled=True)
    layers = [faint, means]
    if (data["series"] == "validation").any():
        layers.append(
            base.transform_filter(alt.datum.series == "validation").mark_line(
                strokeWidth=2, strokeDash=[6, 3], point=alt.OverlayMarkDef(size=50)
            )
        )
    return alt.layer(*layers).properties(height=260, title=f"{label}, runs overlaid", **legend_room(runs)).interactive()


def curves_caption(batches: pd.DataFrame, epochs: pd.DataFrame) -> str:
    """What to look for in training_curves, saying only what those charts draw (validation
    dots only when there are validation scores, the runs' colours only when several runs)."""
    validation = not epochs.empty and any(str(c).startswith("val_") for c in epochs.columns)
    runs = list(dict.fromkeys(batches["run"])) if "run" in batches else []
    if runs:
        head = (
            f"**What to look for.** One colour per run ({', '.join(runs)}), each drawn from its own first step, "
            "so they compare at the same point of training. The thin line is the loss of each batch; dots are "
            "epoch means on the training data"
        )
    else:
        head = (
            "**What to look for.** The faint line is the loss of each batch (noisy: every batch is different); "
            "bold dots are epoch means on the training data"
        )
    if validation:
        return head + (
            " and on validation data the model never trains on. Both falling = learning. Training falling "
            "while validation rises = overfitting: the model memorises the training examples - try dropout, "
            "fewer units or fewer epochs."
        )
    return head + ". Falling = learning; this run keeps no validation data, so overfitting is not measured here."


def norms_caption(batches: pd.DataFrame, clip_norm: float | None = None) -> str:
    """What to look for in gradient_norm_chart, for the chart it draws (per layer, or one line per run)."""
    clip = (
        f" The grey dashed line is the clip threshold ({clip_norm:g}): a step whose global norm lies above it is "
        "scaled down to it before the update."
        if clip_norm
        else ""
    )
    if "run" in batches:
        runs = ", ".join(dict.fromkeys(batches["run"]))
        return (
            f"**What to look for.** The size (L2 norm) of the whole gradient at every step of each run ({runs}), "
            "each from its own first step, on a log scale. Norms that shrink towards zero mean learning has "
            "stalled (vanishing gradients); sudden spikes by orders of magnitude are exploding gradients." + clip
        )
    return (
        "**What to look for.** The size (L2 norm) of the gradient of the loss with respect to each layer's "
        "weights, per step, on a log scale; the dashed line is all layers together. Norms that shrink towards "
        "zero mean that layer has stopped learning (vanishing gradients); sudden spikes by orders of magnitude "
        "are exploding gradients." + clip
    )


def _log_norm_lines(data: pd.DataFrame, x: alt.X, y: str, y_title: str, color: alt.Color, tooltip: list) -> alt.Chart:
    """Gradient norms as lines on a log scale (norms span orders of magnitude), the value in the tooltip."""
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y(f"{y}:Q", axis=log_axis(y_title), scale=alt.Scale(type="log")),
            color=color,
            tooltip=[*tooltip, alt.Tooltip(f"{y}:Q", title="norm", format=".3g")],
        )
    )


LAYER_COLOURS = (palette.BLUE, palette.VERMILLION, palette.SKY_BLUE)  # black is the global norm's
LAYER_DASHES = ((1, 0), (2, 2), (8, 3, 2, 3))  # (6, 3) is the global norm's
GLOBAL_DASH = (6, 3)


def layer_styles(layers: list[str]) -> tuple[alt.Scale, alt.Scale]:
    """Colour and dash scales of the per-layer gradient chart: each layer its own palette colour-and-dash pair
    (solid for the first three, then the colours again with a dash), the global norm black and dashed."""
    domain = [*layers, GLOBAL_NORM]
    colours = [LAYER_COLOURS[i % len(LAYER_COLOURS)] for i in range(len(layers))] + [palette.BLACK]
    dashes = [list(LAYER_DASHES[(i // len(LAYER_COLOURS)) % len(LAYER_DASHES)]) for i in range(len(layers))]
    return alt.Scale(domain=domain, range=colours), alt.Scale(domain=domain, range=[*dashes, list(GLOBAL_DASH)])


def _clip_rule(clip_norm: float) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"clip": [clip_norm], "label": [f"clip norm = {clip_norm:g}"]}))
        .mark_rule(color=palette.NEUTRAL, strokeDash=list(palette.THRESHOLD_DASH), strokeWidth=2)
        .encode(y="clip:Q", tooltip=[alt.Tooltip("label:N", title="threshold")])
    )


def gradient_norm_chart(batches: pd.DataFrame, clip_norm: float | None = None) -> alt.Chart:
    """Gradient L2 norm per step on a log scale: one line per layer plus the global norm.

    The dashed rule marks the clip threshold: above it, the update is scaled down to it.
    With a "run" column (by_run): each run's global norm from its own step 0, one colour per run.
    """
    if not batches.empty and "run" in batches and "grad_norm" in batches:
        return runs_gradient_norm_chart(batches, clip_norm)
    columns = [c for c in batches.columns if c.startswith("grad_norm/")] if not batches.empty else []
    if not columns:
        return empty_chart("gradient norms: no steps yet")
    long = batches.melt(
        id_vars=["step", "epoch"], value_vars=["grad_norm", *columns], var_name="layer", value_name="norm"
    )
    long["layer"] = [
        GLOBAL_NORM if n == "grad_norm" else layer_name(n.removeprefix("grad_norm/")) for n in long["layer"]
    ]
    long = long[np.isfinite(long["norm"]) & (long["norm"] > 0)]
    if long.empty:
        return empty_chart("gradient norms: all zero or non-finite")
    colours, dashes = layer_styles([n for n in dict.fromkeys(long["layer"]) if n != GLOBAL_NORM])
    names = list(colours.domain)
    legend = bottom_legend(names, title="layer")  # colour and dash share one legend: same title, same settings
    line = _log_norm_lines(
        long,
        x=alt.X("step:Q", axis=linear_axis("training step", True)),
        y="norm",
        y_title="gradient L2 norm (log scale)",
        color=alt.Color("layer:N", title="layer", scale=colours, legend=legend),
        tooltip=[alt.Tooltip("layer:N"), alt.Tooltip("step:Q"), alt.Tooltip("epoch:Q")],
    ).encode(strokeDash=alt.StrokeDash("layer:N", title="layer", scale=dashes, legend=legend))
    chart = line + _clip_rule(clip_norm) if clip_norm else line
    return chart.properties(height=260, title="Gradient norm per layer", **legend_room(names)).interactive()


def runs_gradient_norm_chart(batches: pd.DataFrame, clip_norm: float | None = None) -> alt.Chart:
    """Each run's global gradient norm from its own step 0, one colour per run, log scale."""
    data = batches[["run", "step", "epoch", "grad_norm"]]
    data = data[np.isfinite(data["grad_norm"].astype(float)) & (data["grad_norm"].astype(float) > 0)]
    if data.empty:
        return empty_chart("gradient norms: all zero or non-finite")
    runs = list(dict.fromkeys(batches["run"]))
    line = _log_norm_lines(
        data,
        x=alt.X("step:Q", axis=linear_axis("training step of each run", True)),
        y="grad_norm",
        y_title="global gradient L2 norm (log scale)",
        color=alt.Color(
            "run:N",
            title="run",
            scale=run_colors(runs),
            legend=run_legend(runs),
        ),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("epoch:Q")],
    )
    chart = line + _clip_rule(clip_norm) if clip_norm else line
    return chart.properties(height=260, title="Global gradient norm, runs overlaid", **legend_room(runs)).interactive()


# ----------------------------------------------------------------------------- runs compared


def _run_color(runs: list[str]) -> alt.Color:
    """One colour per run (in the order given), the legend listing the runs by label."""
    return alt.Color(
        "run:N",
        title="run",
        scale=series_scale(runs),
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
