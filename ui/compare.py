""" "Compare runs": the run history every training page keeps, overlaid on shared axes.

The shared training panel (ui/training_panel.py) adds each finished or stopped run of a page
to that page's `RunHistory` (core/engine/compare.py) and calls `compare_section` under itself;
from the second run on, a visitor picks runs, edits their labels, and sees their loss, metric
and gradient-norm curves overlaid, one table of final metrics and differing settings, and one CSV.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.engine import charts
from core.engine import compare as cmp
from core.engine.run import TrainedRun
from ui.charts import draw_chart

LABELS_PER_ROW = 4
CHART_HEIGHT = 350  # the charts' 260 px plot, title and axes
LEGEND_ROW = 22

INTRO = (
    "Every run you finish or stop on this page is kept here (the last {max_runs}), labelled by what you "
    "changed since the run before - edit a label to name your experiment. Change **one** setting between "
    "runs and the curves below show what it does: SimpleRNN vs LSTM vs GRU on the same data, with vs "
    "without clipping, with vs without attention, the one-to-one baseline vs many-to-one, dropout 0 vs 0.5."
)
LOSS_HELP = (
    "**What to look for.** Lower is better; x is epochs, so runs with different batch sizes line up. "
    "Solid lines are the training loss ({smoothing}), dashed lines with "
    "dots the validation loss after each epoch. The run whose dashed line ends lowest generalises best; "
    "a dashed line that turns up while its solid line keeps falling is overfitting."
)
METRIC_HELP = (
    "**What to look for.** The same runs scored by {metric}: solid is training, dashed with dots is "
    "validation. A gap that grows between a run's solid and dashed line means it memorises rather than "
    "learns; two runs with the same loss can still differ here."
)
GRADIENTS_HELP = (
    "**What to look for.** Each run's global gradient norm per step (log scale), before clipping; a dashed "
    "rule in a run's colour is its clip threshold - steps above it were scaled down to it. Orders-of-magnitude "
    "spikes are exploding gradients, a slide towards zero is vanishing; gated cells (LSTM, GRU) usually "
    "keep steadier norms than a SimpleRNN."
)
TABLE_HELP = (
    "The second column is each run's score on data it never trained on (the page's held-out test or "
    "validation split): compare runs by it. The last-epoch columns are means over the last finished epoch "
    "(training values average its batches, so they sit above the curve's end while the loss still falls; "
    "val = validation data). The setting columns list only what differs between the chosen runs."
)


def _history_key(key: str) -> str:
    return f"panel-runs:{key}"


def run_history(key: str) -> cmp.RunHistory:
    """The page's run history (created empty on first use)."""
    name = _history_key(key)
    if not isinstance(st.session_state.get(name), cmp.RunHistory):
        st.session_state[name] = cmp.RunHistory()
    return st.session_state[name]


def record_run(key: str, output: Any, fallback_config: Any, clip_norm: float | None) -> cmp.RunRecord | None:
    """Keep a finished run's records, configuration and label (never the model)."""
    if not isinstance(output, TrainedRun) or output.result is None:
        return None
    config = output.config if output.config is not None else fallback_config
    return run_history(key).add(config, output.result, clip_norm, output.held_out())


def _label_inputs(key: str, runs: list[cmp.RunRecord]) -> None:
    st.markdown("**Labels** (edit to name your experiments)")
    for start in range(0, len(runs), LABELS_PER_ROW):
        row = runs[start : start + LABELS_PER_ROW]
        for col, run in zip(st.columns(LABELS_PER_ROW), row, strict=False):
            name = f"{key}:run_label:{run.run_id}"
            if name not in st.session_state:
                st.session_state[name] = run.label
            text = col.text_input(f"Run #{run.run_id}", key=name, max_chars=80)
            run.label = text.strip() or run.label


def _chosen_runs(key: str, history: cmp.RunHistory) -> list[cmp.RunRecord]:
    """The multiselect of runs (newest first); a run that just finished joins the selection."""
    ids = [r.run_id for r in history.newest_first()]
    name, seen_name = f"{key}:compare_runs", f"{key}:compare_seen"
    seen = set(st.session_state.get(seen_name, ()))
    if name not in st.session_state:
        st.session_state[name] = list(ids)
    else:
        kept = [i for i in st.session_state[name] if i in ids]
        st.session_state[name] = [i for i in ids if i not in seen and i not in kept] + kept
    st.session_state[seen_name] = list(ids)
    chosen = st.multiselect(
        "Runs to compare",
        ids,
        key=name,
        format_func=lambda i: history.get(i).name if history.get(i) else str(i),
        help="Newest first. Each run keeps its colour while it stays chosen.",
    )
    return [r for r in history.newest_first() if r.run_id in chosen]


def compare_section(key: str, metric: str | None = None, metric_label: str | None = None) -> None:
    """The "Compare runs" view, once the page has two runs or more."""
    history = run_history(key)
    if len(history) < 2:
        return
    with st.expander(f"Compare runs ({len(history)} kept on this page)", expanded=False):
        st.caption(INTRO.format(max_runs=history.max_runs))
        runs = history.newest_first()
        _label_inputs(key, runs)
        chosen = _chosen_runs(key, history)
        if not chosen:
            st.info("Choose at least one run to compare.")
            return
        _compare_charts(chosen, metric, metric_label or metric)
        st.markdown("**Held-out score, last-epoch metrics and the settings that differ**")
        st.dataframe(cmp.comparison_table(chosen), hide_index=True)
        st.caption(TABLE_HELP)
        st.download_button(
            "Compared runs (CSV)",
            data=cmp.comparison_csv(chosen),
            file_name=f"{key}_runs_compared.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}:dl_compare",
        )


def _compare_charts(runs: list[cmp.RunRecord], metric: str | None, metric_label: str | None) -> None:
    window = max(cmp.smoothing_window(r.result.steps) for r in runs)
    # the legends sit under the plots, two runs a row: room for them, so nothing overlaps
    legend = LEGEND_ROW * ((len(runs) + 1) // 2)
    left, right = st.columns(2)
    with left:
        draw_chart(charts.compare_curves(cmp.curves_frame(runs, "loss"), "loss"), height=CHART_HEIGHT + legend + 40)
        smoothing = "per step" if window == 1 else f"a running mean over {window} steps"
        st.caption(LOSS_HELP.format(smoothing=smoothing))
    if metric:
        with right:
            chart = charts.compare_curves(cmp.curves_frame(runs, metric), metric_label or metric)
            draw_chart(chart, height=CHART_HEIGHT + legend + 40)
            st.caption(METRIC_HELP.format(metric=metric_label or metric))
    draw_chart(charts.compare_gradient_norms(cmp.gradient_frame(runs)), height=CHART_HEIGHT + legend + 20)
    st.caption(GRADIENTS_HELP)
