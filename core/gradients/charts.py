"""Charts of the Gradient lab: gradients through time, scores vs T, clipping, the BPTT diagram.

Every builder takes plain DataFrames and returns an `alt.Chart` (or, for the diagram,
Graphviz DOT text), so it can be tested without a browser. The frame builders turn a
recorder's snapshots and a comparison's runs into those tables. Cells keep their
app-wide colours (core.engine.charts.CELL_COLORS). TensorFlow-free: a recorder is read
only through its `snapshots`, `initial()` and `latest()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from core.data.memory_tasks import Score
from core.engine import palette
from core.engine.charts import (
    CELL_COLORS,
    LOG_FORMAT,
    empty_chart,
    linear_axis,
    log_axis,
    run_legend,
    series_scale,
)
from core.gradients.config import NORM_FLOOR, reach_ratio, reach_words

if TYPE_CHECKING:
    from core.gradients.through_time import GradientTimeRecorder, RunOutcome, Snapshot

MAX_TIME_BINS = 100
MAX_HEATMAP_ROWS = 40  # x MAX_TIME_BINS stays under Altair's 5,000-row limit
MAX_LINE_POINTS = 4_000
INIT_DASH = [5, 3]


def _finite_positive(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    values = frame[column].astype(float)
    return frame[np.isfinite(values) & (values > 0)]


def _finite_floored(frame: pd.DataFrame) -> pd.DataFrame:
    """Finite norms, with `shown` = the norm raised to NORM_FLOOR for the log scales."""
    data = frame[np.isfinite(frame["norm"].astype(float))]
    return data.assign(shown=data["norm"].astype(float).clip(lower=NORM_FLOOR))


def bin_time_steps(frame: pd.DataFrame, max_bins: int = MAX_TIME_BINS) -> pd.DataFrame:
    """Average the norm over groups of neighbouring time steps so long sequences stay light.

    Each row keeps the first and last step of its bin, for the tooltip and the bar width.
    """
    length = int(frame["time_step"].max()) if not frame.empty else 0
    width = max(1, int(np.ceil(length / max_bins)))
    binned = frame.assign(bin=(frame["time_step"] - 1) // width)
    out = (
        binned.groupby(["training_step", "bin"], as_index=False)
        .agg(norm=("norm", "mean"), first=("time_step", "min"), last=("time_step", "max"))
        .drop(columns="bin")
    )
    out["left"] = out["first"] - 0.5  # each step t is drawn as the cell [t - 0.5, t + 0.5]
    out["right"] = out["last"] + 0.5
    return out


def thin_rows(frame: pd.DataFrame, max_rows: int = MAX_HEATMAP_ROWS) -> pd.DataFrame:
    """Keep at most `max_rows` training steps, evenly spaced, always with the first and last."""
    steps = np.sort(frame["training_step"].unique())
    if len(steps) <= max_rows:
        return frame
    keep = set(steps[np.linspace(0, len(steps) - 1, max_rows).round().astype(int)])
    return frame[frame["training_step"].isin(keep)]


def thin_time_steps(frame: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """Every k-th time step (and always the last) when the lines would exceed `max_rows`."""
    if len(frame) <= max_rows:
        return frame
    stride = int(np.ceil(len(frame) / max_rows))
    last = frame["time_step"].max()
    return frame[((frame["time_step"] - 1) % stride == 0) | (frame["time_step"] == last)]


def bucket_steps(batches: pd.DataFrame, columns: list[str], max_steps: int = 1_000) -> pd.DataFrame:
    """At most `max_steps` rows: the maximum of each column over runs of consecutive steps,
    so a thinned chart still shows every spike."""
    if len(batches) <= max_steps:
        return batches
    size = int(np.ceil(len(batches) / max_steps))
    groups = np.arange(len(batches)) // size
    return batches.groupby(groups).agg({"step": "last", **{c: "max" for c in columns}})


def heatmap_domain(frames: list[pd.DataFrame]) -> tuple[float, float] | None:
    """One (low, high) colour range for several heatmaps, so their colours compare."""
    values = pd.concat([f["norm"] for f in frames if not f.empty], ignore_index=True) if frames else pd.Series()
    values = values[np.isfinite(values.astype(float))].clip(lower=NORM_FLOOR) if len(values) else values
    if not len(values):
        return None
    high = float(values.max())
    return max(float(values.min()), high * 1e-12), high


def gradient_heatmap(
    frame: pd.DataFrame, title: str = "Gradient reaching each time step", domain: tuple[float, float] | None = None
) -> alt.Chart:
    """Heatmap: time step (x) x training step (y, first at the top), colour = ||dL/dx_t|| (log).

    A vanishing gradient is a dark left side: the early steps get almost nothing back.
    `domain` fixes the colour range (see heatmap_domain) to compare several heatmaps.
    """
    data = frame[np.isfinite(frame["norm"].astype(float))] if not frame.empty else frame
    if data.empty:
        return empty_chart("gradients through time: nothing recorded yet")
    data = bin_time_steps(thin_rows(data))
    data["shown"] = data["norm"].clip(lower=NORM_FLOOR)
    high = float(data["shown"].max())
    low, high = domain or (max(float(data["shown"].min()), high * 1e-12), high)
    order = sorted(data["training_step"].unique())
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X(
                "left:Q",
                title="time step t (input position)",
                scale=alt.Scale(nice=False, zero=False, domain=[0.5, float(data["right"].max())]),
            ),
            x2="right:Q",
            y=alt.Y("training_step:O", title="training step", sort=order, axis=alt.Axis(labelOverlap=True)),
            color=alt.Color(
                "shown:Q",
                title="‖∂L/∂x_t‖",
                scale=alt.Scale(type="log", scheme="viridis", domain=[low, high], clamp=True),
                legend=alt.Legend(format=LOG_FORMAT),
            ),
            tooltip=[
                alt.Tooltip("training_step:Q", title="training step"),
                alt.Tooltip("first:Q", title="from time step"),
                alt.Tooltip("last:Q", title="to time step"),
                alt.Tooltip("norm:Q", title="mean gradient norm", format=".3e"),
            ],
        )
        .properties(height=280, title=title)
    )


def gradient_reach_chart(
    lines: pd.DataFrame, title: str = "Gradient reaching step t: at initialisation vs now"
) -> alt.Chart:
    """||dL/dx_t|| against t on a log axis, one line per (run, moment).

    `lines` has time_step, norm, moment ("at initialisation" / "after N steps") and run.
    Runs named after a cell get that cell's colour; initialisation is dashed.
    """
    data = _finite_floored(lines) if not lines.empty else lines
    if data.empty:
        return empty_chart("gradient reaching step t: nothing recorded yet")
    data = thin_time_steps(data, MAX_LINE_POINTS)
    data = data.assign(phase=np.where(data["moment"] == "at initialisation", "at initialisation", "now"))
    runs = list(dict.fromkeys(data["run"]))
    cells = [_cell_of(r) for r in runs]
    colours = [CELL_COLORS.get(c) if c else None for c in cells]
    if len(set(colours)) < len(runs) or None in colours:
        color_scale = series_scale(runs)
    else:
        color_scale = alt.Scale(domain=runs, range=colours)
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("time_step:Q", axis=linear_axis("time step t (1 = first input, T = last)", True)),
            y=alt.Y("shown:Q", axis=log_axis("‖∂L/∂x_t‖ (log scale)"), scale=alt.Scale(type="log")),
            color=alt.Color("run:N", title="run", scale=color_scale),
            strokeDash=alt.StrokeDash(
                "phase:N",
                title="when",
                scale=alt.Scale(domain=["at initialisation", "now"], range=[INIT_DASH, [1, 0]]),
            ),
            detail="moment:N",
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("moment:N", title="when"),
                alt.Tooltip("time_step:Q", title="time step"),
                alt.Tooltip("norm:Q", title="gradient norm (0 = underflow, drawn at 1e-30)", format=".3e"),
            ],
        )
        .properties(height=280, title=title)
        .interactive()
    )


def reach_caption(lines: pd.DataFrame) -> str:
    """What each line of gradient_reach_chart does, read from its own data: for every run and moment,
    how the gradient at step 1 compares with step T and which way the line rises."""
    parts = []
    for run, frame in lines.groupby("run", sort=False):
        said = []
        for moment, line in frame.groupby("moment", sort=False):
            said.append(f"{moment}, {_line_shape(line.sort_values('time_step')['norm'].to_numpy(dtype=float))}")
        parts.append(f"**{run}**: " + "; ".join(said))
    if not parts:
        return ""
    return "**Read from these lines.** " + ". ".join(parts) + "."


def _line_shape(norms: np.ndarray) -> str:
    first, last = float(norms[0]), float(norms[-1])
    if np.isfinite(norms).all() and not norms.any():
        return f"0 at every step (drawn on the chart's {NORM_FLOOR:g} floor: nothing flows back at all)"
    if not (np.isfinite(first) and np.isfinite(last)) or last <= 0:
        return "no finite gradient to draw"
    ratio = reach_ratio(norms)
    if ratio < NORM_FLOOR:
        return f"step 1 gets {reach_words(ratio)} (the line rises to the right from the chart's floor)"
    if ratio > 1:
        return f"step 1 gets {ratio:.1e} × step T's gradient (the line rises to the left: it grows on the way back)"
    return f"step 1 gets {ratio:.1e} × step T's gradient (the line rises to the right: it shrinks on the way back)"


def _cell_of(run: str) -> str | None:
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        if run.startswith(cell):
            return cell
    return None


def score_vs_length_chart(table: pd.DataFrame, score: Score) -> alt.Chart:
    """Test score against sequence length T, one line per cell, with the trivial baseline.

    `table` has cell, T and "test score". The dashed grey rule is what a network that
    learned nothing gets; a cell on that line has not learned the task at that T.
    """
    data = table.dropna(subset=["test score"]) if not table.empty else table
    if data.empty:
        return empty_chart(f"{score.name} vs T: train a comparison first")
    cells = [c for c in CELL_COLORS if c in set(data["cell"])]
    lines = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=70, filled=True), strokeWidth=2)
        .encode(
            x=alt.X(
                "T:Q",
                title="sequence length T",
                scale=alt.Scale(zero=False, padding=30),
                axis=alt.Axis(values=sorted(int(t) for t in data["T"].unique()), format="d"),
            ),
            y=alt.Y("test score:Q", axis=linear_axis(f"test {score.name}"), scale=alt.Scale(zero=True)),
            color=alt.Color(
                "cell:N", title="cell", scale=alt.Scale(domain=cells, range=[CELL_COLORS[c] for c in cells])
            ),
            tooltip=[
                alt.Tooltip("cell:N"),
                alt.Tooltip("T:Q"),
                alt.Tooltip("test score:Q", title=f"test {score.name}", format=".4f"),
                alt.Tooltip("steps:Q", title="training steps"),
            ],
        )
    )
    label = f"baseline ({score.baseline_label}): {score.baseline:.3g}"
    rule = (
        alt.Chart(pd.DataFrame({"baseline": [score.baseline], "label": [label]}))
        .mark_rule(color=palette.NEUTRAL, strokeDash=[6, 4], strokeWidth=2)
        .encode(y="baseline:Q", tooltip=[alt.Tooltip("label:N", title="trivial baseline")])
    )
    text = (
        alt.Chart(pd.DataFrame({"baseline": [score.baseline], "label": [label]}))
        .mark_text(align="left", dx=4, dy=-7, color=palette.BLACK)
        .encode(y="baseline:Q", x=alt.value(4), text="label:N")
    )
    better = "lower" if score.lower_is_better else "higher"
    return (lines + rule + text).properties(
        height=280, title=f"Test {score.name} vs sequence length ({better} is better)"
    )


def global_norm_chart(
    batches: pd.DataFrame, clip_norm: float | None = None, diverged_step: int | None = None, title: str | None = None
) -> alt.Chart:
    """Global gradient norm before clipping (raw) and after (applied), log scale.

    The grey dashed rule is the clip threshold; a black rule marks the step where the loss
    or gradient became NaN/inf and the trainer stopped.
    """
    if batches.empty or "grad_norm" not in batches:
        return empty_chart("global gradient norm: no steps yet")
    series = {"grad_norm": "raw (before clipping)"}
    if clip_norm:
        series["applied_norm"] = "applied (after clipping)"
    batches = bucket_steps(batches[["step", *series]], list(series))
    long = batches.melt(id_vars=["step"], value_vars=list(series), var_name="series", value_name="norm")
    long["series"] = long["series"].map(series)
    long = _finite_positive(long, "norm")
    layers: list[alt.Chart] = []
    if not long.empty:
        domain = list(series.values())
        layers.append(
            alt.Chart(long)
            .mark_line(strokeWidth=1.5)
            .encode(
                x=alt.X("step:Q", axis=linear_axis("training step", True)),
                y=alt.Y("norm:Q", axis=log_axis("global norm (log scale)"), scale=alt.Scale(type="log")),
                color=alt.Color(
                    "series:N",
                    title="",
                    scale=series_scale(domain),
                    legend=alt.Legend(labelLimit=260),
                ),
                tooltip=[
                    alt.Tooltip("series:N", title="norm"),
                    alt.Tooltip("step:Q"),
                    alt.Tooltip("norm:Q", format=".3g"),
                ],
            )
        )
    if clip_norm:
        layers.append(
            alt.Chart(pd.DataFrame({"clip": [clip_norm], "label": [f"clip norm = {clip_norm:g}"]}))
            .mark_rule(color=palette.NEUTRAL, strokeDash=list(palette.THRESHOLD_DASH), strokeWidth=2)
            .encode(y="clip:Q", tooltip=[alt.Tooltip("label:N", title="threshold")])
        )
    if diverged_step is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"step": [diverged_step], "label": [f"NaN/inf detected at step {diverged_step}"]}))
            .mark_rule(color=palette.BLACK, strokeWidth=2)
            .encode(x="step:Q", tooltip=[alt.Tooltip("label:N", title="diverged")])
        )
    if not layers:
        return empty_chart("global gradient norm: every step was NaN or inf")
    heading = title or ("Global gradient norm and the clip threshold" if clip_norm else "Global gradient norm")
    return alt.layer(*layers).properties(height=260, title=heading).interactive()


NormRun = tuple[str, pd.DataFrame, float | None, int | None]  # label, batch frame, clip norm, diverged step


def runs_global_norm_chart(runs: Sequence[NormRun]) -> alt.Chart:
    """Several runs' global gradient norm overlaid from step 0, log scale: one colour per run (named in
    the legend), solid = before clipping, dashed = what the optimiser used after clipping; a dashed rule
    in the run's colour at its clip threshold, a solid one where it went NaN/inf."""
    series = {"grad_norm": "before clipping", "applied_norm": "after clipping (used)"}
    frames, clips, ends = [], [], []
    for label, batches, clip_norm, diverged in runs:
        if not batches.empty and "grad_norm" in batches:
            kept = ["grad_norm", "applied_norm"] if clip_norm else ["grad_norm"]
            data = bucket_steps(batches[["step", *kept]], kept)
            long = data.melt(id_vars=["step"], value_vars=kept, var_name="series", value_name="norm")
            frames.append(long.assign(series=long["series"].map(series), run=label))
        if clip_norm:
            clips.append({"run": label, "clip": clip_norm, "label": f"{label}: clip norm = {clip_norm:g}"})
        if diverged is not None:
            ends.append({"run": label, "step": diverged, "label": f"{label}: NaN/inf at step {diverged}"})
    data = _finite_positive(pd.concat(frames, ignore_index=True), "norm") if frames else pd.DataFrame()
    if data.empty:
        return empty_chart("global gradient norm: no finite steps yet")
    labels = [label for label, *_ in runs]
    color = alt.Color(
        "run:N",
        title="run",
        scale=series_scale(labels),
        legend=run_legend(),
    )
    layers = [
        alt.Chart(data)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("step:Q", axis=linear_axis("training step of each run", True)),
            y=alt.Y("norm:Q", axis=log_axis("global norm (log scale)"), scale=alt.Scale(type="log")),
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N",
                title="norm",
                scale=alt.Scale(domain=list(series.values()), range=[[1, 0], [5, 3]]),
                legend=run_legend(),
            ),
            detail="series:N",
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("series:N", title="norm"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("norm:Q", format=".3g"),
            ],
        )
    ]
    if clips:
        layers.append(
            alt.Chart(pd.DataFrame(clips))
            .mark_rule(strokeDash=[4, 4], strokeWidth=2)
            .encode(y="clip:Q", color=color, tooltip=[alt.Tooltip("label:N", title="threshold")])
        )
    if ends:
        layers.append(
            alt.Chart(pd.DataFrame(ends))
            .mark_rule(strokeWidth=2)
            .encode(x="step:Q", color=color, tooltip=[alt.Tooltip("label:N", title="diverged")])
        )
    return alt.layer(*layers).properties(height=280, title="Global gradient norm, runs overlaid").interactive()


# ----------------------------------------------------------------------------- tables the charts read


def snapshots_frame(snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """Long table: training_step, time_step (1-based), norm."""
    rows = [
        pd.DataFrame({"training_step": s.training_step, "time_step": np.arange(1, len(s.norms) + 1), "norm": s.norms})
        for s in snapshots
    ]
    if not rows:
        return pd.DataFrame(columns=["training_step", "time_step", "norm"])
    return pd.concat(rows, ignore_index=True)


def init_vs_now(recorder: GradientTimeRecorder, label: str = "") -> pd.DataFrame:
    """time_step, norm, moment ("at initialisation" / "after N steps"), run - for a line chart."""
    first, last = recorder.initial(), recorder.latest()
    if first is None or last is None:
        return pd.DataFrame(columns=["time_step", "norm", "moment", "run"])
    moments = [(first, "at initialisation")]
    if last.training_step != first.training_step:
        moments.append((last, f"after {last.training_step} steps"))
    frames = [
        pd.DataFrame(
            {"time_step": np.arange(1, len(s.norms) + 1), "norm": s.norms, "moment": name, "run": label or "model"}
        )
        for s, name in moments
    ]
    return pd.concat(frames, ignore_index=True)


def runs_init_vs_now(recorders: dict[str, GradientTimeRecorder]) -> pd.DataFrame:
    """init_vs_now of several runs in one table, by run label."""
    return pd.concat([init_vs_now(r, label) for label, r in recorders.items()], ignore_index=True)


def outcomes_frame(outcomes: Sequence[RunOutcome]) -> pd.DataFrame:
    """One row per run: label, cell, T, status, steps, test score, baseline, ρ after training."""
    return pd.DataFrame(
        [
            {
                "run": o.label,
                "cell": o.model_config.cell,
                "T": o.length,
                "status": o.result.status,
                "steps": o.result.steps,
                "test score": o.test_score,
                "baseline": o.baseline,
                "gradient reaching step 1 / step T": reach_words(
                    reach_ratio(o.recorder.latest().norms) if o.recorder.latest() is not None else float("nan")
                ),
                "spectral radius of U": o.spectral_radius,
                "seconds": o.result.seconds,
            }
            for o in outcomes
        ]
    )


# ----------------------------------------------------------------------------- diagram


BPTT_STEPS = ("1", "2", "3", "T-1", "T")


def bptt_dot(cell: str = "SimpleRNN") -> str:
    """Graphviz DOT of a many-to-one RNN unrolled through time, with the backward pass.

    Forward edges are black; the gradient's way back is red and dashed, one factor J_k per
    step - the product that vanishes or explodes - and what reaches each input x_t is the
    quantity the Gradient lab measures. `config.JACOBIANS[cell]` says what J_k is for the cell.
    """
    steps = BPTT_STEPS
    gap = steps.index("T-1")  # the edge into h_(T-1) stands for the steps left out
    lines = [
        "digraph BPTT {",
        "  rankdir=LR; nodesep=0.25; ranksep=0.45;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  h0 [label="h_0", fillcolor="#eeeeee"];',
    ]
    for i, s in enumerate(steps, start=1):
        lines.append(f'  x{i} [label="x_{s}", fillcolor="#fff2cc"];')
        lines.append(f'  h{i} [label="h_{s}\\n{cell}", fillcolor="#dae8fc"];')
        lines.append(f"  {{rank=same; x{i}; h{i};}}")
        lines.append(f"  x{i} -> h{i};")
        forward = ' [style=dotted, label="…"]' if i - 1 == gap else ""
        lines.append(f"  h{i - 1} -> h{i}{forward};")
    last = len(steps)
    lines.append('  loss [label="ŷ → loss L", fillcolor="#f8cecc"];')
    lines.append(f"  h{last} -> loss;")
    back = 'color="#d62728", fontcolor="#d62728", style=dashed, constraint=false'
    lines.append(f'  loss -> h{last} [{back}, label="∂L/∂h_T"];')
    for i in range(last, 1, -1):
        label = "× J_k …" if i - 1 == gap else f"× J_{steps[i - 1]}"
        lines.append(f'  h{i} -> h{i - 1} [{back}, label="{label}"];')
    lines.append(f'  h1 -> x1 [{back}, tailport=w, headport=w, label="∂L/∂x_1"];')
    lines.append("}")
    return "\n".join(lines)
