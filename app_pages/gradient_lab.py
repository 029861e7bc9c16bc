"""Gradient lab: vanishing and exploding gradients through time, measured and shown.

Widgets -> lab.LabConfig -> core.gradients (model, recorder, runs) -> charts. Three experiments
share one sidebar: train one model and watch ||dL/dx_t|| per step; train SimpleRNN, LSTM
and GRU on the same data and seed (at one or several T); train the same model without and
with gradient clipping. Presets, outcomes, verdicts and long texts live in
core/gradients/config.py; the training runs load (with TensorFlow) on the first click.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.data.memory_tasks import SequenceTask
from core.engine.config import TrainConfig
from core.gradients import charts as gradient_charts
from core.gradients import config as lab
from core.gradients import jobs as gradient_jobs
from ui import code_panel, controls, data_cache, experiments, gradient_lab_data, gradient_lab_views, links
from ui.charts import draw_chart
from ui.presenter import stage, title
from ui.training_panel import running_panels, trained_config, training_panel

KEY = "gradient-lab"
COMPARE_KEY = f"{KEY}-compare"
CLIP_KEY = f"{KEY}-clip"
BUSY_NOTE = "Another experiment of this page is training; wait for it or stop it first."


# ----------------------------------------------------------------------------- controls


def sidebar() -> lab.LabConfig:
    st.sidebar.header("Gradient lab settings")
    preset_name = st.sidebar.selectbox(
        "Preset", list(lab.PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = lab.PRESETS[preset_name]
    key = f"{KEY}:{list(lab.PRESETS).index(preset_name)}"
    with st.sidebar.expander("Data", expanded=True):
        source = source_controls(key, preset.source)
    with st.sidebar.expander("Model", expanded=True):
        model = model_controls(key, preset.model)
    with st.sidebar.expander("Training", expanded=True):
        train = train_controls(key, preset.train)
        label, most = "Record gradients every K steps", lab.MAX_RECORD_EVERY
        every = st.slider(label, 1, most, preset.every, key=f"{key}:every", help=lab.EVERY_HELP)
    return lab.LabConfig(source, model, train, int(every), preset.probe_size)


def source_controls(key: str, defaults: lab.SourceChoice) -> lab.SourceChoice:
    kinds = list(lab.SOURCES)
    kind = st.radio(
        "Sequences", kinds, index=kinds.index(defaults.kind), format_func=lab.SOURCES.get, key=f"{key}:source"
    )
    length = st.select_slider(
        "Sequence length T", lab.LENGTH_CHOICES, defaults.length, key=f"{key}:length", help=lab.LENGTH_HELP
    )
    train_size, ticker, local_path = defaults.train_size, defaults.ticker, defaults.local_path
    if kind in lab.SIZE_SLIDERS:
        label, choices, fallback, name = lab.SIZE_SLIDERS[kind]
        value = train_size if train_size in choices else fallback
        train_size = st.select_slider(label, choices, value, key=f"{key}:{name}")
    else:
        ticker = st.selectbox("Ticker", lab.TICKERS, index=lab.TICKERS.index(defaults.ticker), key=f"{key}:ticker")
    if kind in ("imdb", "stocks"):
        local_path = controls.local_path_input(
            "Local copy (folder)",
            key=f"{key}:local",
            help="A folder with imdb/ and stocks/ inside, like ../shared/data.",
        )
    return lab.SourceChoice(kind, int(length), int(train_size), ticker, local_path)


def model_controls(key: str, defaults: lab.LabModel) -> lab.LabModel:
    cell = controls.cell_radio(st, f"{key}:cell", defaults.cell)
    units = controls.units_slider(st, f"{key}:units", defaults.units, "Units", hi=lab.UNITS_RANGE[1])
    activation = st.radio(
        "Activation",
        list(lab.ACTIVATIONS),
        index=lab.ACTIVATIONS.index(defaults.activation),
        horizontal=True,
        key=f"{key}:activation",
        help=lab.ACTIVATION_HELP,
    )
    scale = st.select_slider(
        "Recurrent weight scale ρ", lab.SCALE_CHOICES, defaults.recurrent_scale, key=f"{key}:scale", help=lab.SCALE_HELP
    )
    layers = controls.layers_slider(st, f"{key}:layers", defaults.layers)
    return lab.LabModel(cell, units, activation, float(scale), layers)


def train_controls(key: str, defaults: TrainConfig) -> TrainConfig:
    epochs = controls.epochs_slider(st, f"{key}:epochs", defaults.epochs, lab.MAX_EPOCHS)
    batch_size = controls.batch_slider(st, f"{key}:batch", defaults.batch_size, *lab.BATCH_RANGE)
    optimizer = controls.optimizer_radio(st, f"{key}:optimizer", defaults.optimizer, help=lab.OPTIMIZER_HELP)
    lr = controls.learning_rate_slider(st, f"{key}:lr", defaults.learning_rate, "Learning rate", hi=lab.MAX_LR)
    clip_on = st.toggle("Clip the gradient norm", value=defaults.clip_norm is not None, key=f"{key}:clip_on")
    clip_norm = None
    if clip_on:
        clip_norm = controls.clip_threshold_slider(
            st, f"{key}:clip", defaults.clip_norm or 1.0, "Clip threshold (global norm)", *lab.CLIP_RANGE
        )
    seed = st.number_input("Seed", 0, 9_999, defaults.seed, key=f"{key}:seed", help="Same seed = same data order.")
    chosen = {"epochs": epochs, "batch_size": batch_size, "learning_rate": lr, "optimizer": optimizer}
    return replace(defaults, **chosen, clip_norm=clip_norm, seed=int(seed))  # keeps a preset's early stopping


# ----------------------------------------------------------------------------- data


def load_task(source: lab.SourceChoice, length: int | None = None) -> SequenceTask:
    """The data for `source` at length T (cached for everyone)."""
    length = length or source.length
    if source.kind in ("adding", "recall"):
        return gradient_lab_data.memory_task(source.kind, length, source.train_size, 0)
    if source.kind == "imdb":
        return gradient_lab_data.imdb_task(source.local_path, length, source.train_size)
    return gradient_lab_data.stock_task(source.ticker, source.local_path, length)


def show_task(task: SequenceTask) -> None:
    st.markdown(f"**Data.** {task.description}")
    score = task.score
    st.caption(
        f"{len(task.y_train):,} training / {len(task.y_test):,} test examples · judged by test {score.name} · "
        f"trivial baseline ({score.baseline_label}): {score.baseline:.3g} · source: {task.source.describe()}"
    )
    if task.source.is_synthetic and task.name in ("imdb", "stocks"):
        st.warning(lab.STAND_IN.format(notice=task.source.notice))
        data_cache.retry_button(f"gradient_lab:{task.name}")


# ----------------------------------------------------------------------------- experiment 1: one model


def live_single(job) -> None:
    """While training: the gradient views, redrawn every second (the results repeat them after)."""
    recorder = job.progress.extra(lab.LIVE_RECORDER)
    if recorder is None or not job.running:
        return
    gradient_views(recorder, job.progress.extra(lab.LIVE_LABEL) or "model")


def gradient_views(recorder, label: str) -> None:
    latest = recorder.latest()
    if latest is None:
        return
    c1, c2 = st.columns(2)
    now, start = lab.reach_ratio(latest.norms), lab.reach_ratio(recorder.initial().norms)
    c1.metric("Gradient at step 1 / at step T, now", lab.reach_words(now, short=True), help=lab.REACH_TILE_HELP)
    c2.metric("… at initialisation", lab.reach_words(start, short=True))
    if note := lab.floor_note(now, start):
        st.caption(note)
    left, right = st.columns(2)
    with left:
        draw_chart(gradient_charts.gradient_heatmap(recorder.frame()))
        st.caption(lab.HEATMAP_HELP)
    with right:
        lines = gradient_charts.init_vs_now(recorder, label)
        draw_chart(gradient_charts.gradient_reach_chart(lines))
        st.caption(lab.REACH_HELP + "\n\n" + gradient_charts.reach_caption(lines))


def show_single_results(outcome: lab.SingleOutcome) -> None:
    run, config, score, result = outcome.run, outcome.config, outcome.score, outcome.result
    st.subheader("What it learned")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        f"Test {score.name}",
        f"{run.test_score:.4f}",
        delta=f"{run.test_score - run.baseline:+.4f} vs baseline",
        delta_color="inverse" if score.lower_is_better else "normal",
    )
    c2.metric(f"Baseline ({score.baseline_label})", f"{run.baseline:.4f}", help="Scored on the same test set.")
    c3.metric(
        "Spectral radius of U after training",
        f"{run.spectral_radius:.2f}",
        help=f"Started at about {run.model_config.recurrent_scale:g} (the initialiser's gain).",
    )
    if result.status == "diverged":
        st.caption(
            f"Training diverged at step {result.steps}; the model keeps the weights from step "
            f"{run.restored_step}, the last that gave a finite loss - which may still be far off."
        )
    else:
        st.caption(lab.verdict(run.test_score, score))
    frame = result.batch_frame()
    draw_chart(gradient_charts.global_norm_chart(frame, config.train.clip_norm, lab.divergence_step(result)))
    st.caption(lab.GLOBAL_NORM_HELP)
    st.subheader("Gradients through time")
    with stage():  # presenter mode: under the page's title
        gradient_views(run.recorder, run.label)
    st.caption(
        f"Recorded {len(run.recorder.snapshots)} snapshots on {config.probe_size} fixed test examples; "
        f"probing took {run.recorder.seconds:.1f} s of the {result.seconds:.1f} s run."
    )
    tips = lab.what_next(result.status, run.model_config.cell)
    st.info("**What to try next**\n\n" + "\n".join(f"- {t}" for t in tips))


# ----------------------------------------------------------------------------- experiments 2 and 3: several runs


def live_runs(job) -> None:
    """While training: the current run's heatmap and every run's gradient profile so far."""
    recorders = job.progress.extra(lab.LIVE_RECORDERS) or {}
    current = job.progress.extra(lab.LIVE_CURRENT)
    if not recorders or not job.running:
        return
    left, right = st.columns(2)
    with left:
        draw_chart(gradient_charts.gradient_heatmap(recorders[current].frame(), f"Gradient through time: {current}"))
    with right:
        lines = gradient_charts.runs_init_vs_now(recorders)
        draw_chart(gradient_charts.gradient_reach_chart(lines, "Gradient reaching step t, every run"))
    st.caption("Live: the heatmap follows the run now training; the lines add each run as it starts.")


def runs_panel(key: str, config: lab.ComparisonConfig, runs, lengths: list[int], can_train: bool, **panel):
    """The training panel of a several-runs experiment (one at a time on this page)."""
    busy = busy_panel()
    if busy and busy != key:
        st.caption(BUSY_NOTE)
    task = load_task(config.lab.source)
    job = training_panel(
        key,
        prepare=False,  # the first tab's single run is the one rehearsed ahead of a click
        start=lambda: gradient_jobs.make_runs_work(config, runs, {t: load_task(config.lab.source, t) for t in lengths}),
        config=config,
        metric=task.metric,
        metric_label=task.metric_label,
        can_train=can_train and busy in ("", key),
        live_extra=live_runs,
        **panel,
    )
    code_panel.code_panel(key, config)
    return job


def compare_tab(config: lab.LabConfig, can_train: bool) -> None:
    st.markdown(lab.COMPARE_INTRO)
    extra = st.multiselect(
        f"Also compare at these lengths (T = {config.source.length} from the sidebar is always included)",
        [t for t in lab.LENGTH_CHOICES if t != config.source.length],
        default=[],
        key=f"{COMPARE_KEY}:lengths",
        help="Each T trains three models; on a small server keep it to two or three lengths.",
    )
    lengths = sorted({int(config.source.length), *(int(t) for t in extra)})
    runs = lab.cell_runs(config.model, config.train, lengths)
    st.caption(f"{len(runs)} runs of {config.train.epochs} epoch(s) each.")
    job = runs_panel(
        COMPARE_KEY,
        lab.ComparisonConfig(config, tuple(lengths)),
        runs,
        lengths,
        can_train,
        clip_norm=config.train.clip_norm,
        train_label=lab.CELLS_TRAIN_LABEL,
    )
    if job is not None and job.state == "done" and job.output.runs:
        show_comparison(job.output)


def remember_scores(outcome: lab.ComparisonOutcome) -> pd.DataFrame:
    """Add a comparison to the session's score table; return the rows sharing its task and settings."""
    signature = lab.comparison_signature(outcome.config.lab)
    table: dict = st.session_state.setdefault(f"{COMPARE_KEY}:scores", {})
    for row in gradient_charts.outcomes_frame(outcome.runs).to_dict("records"):
        table[(signature, row["cell"], row["T"])] = {**row, "signature": signature}
    rows = [r for r in table.values() if r["signature"] == signature]
    return pd.DataFrame(rows).sort_values(["cell", "T"])


def show_comparison(outcome: lab.ComparisonOutcome) -> None:
    score = outcome.score
    st.subheader("Who learned the task?")
    draw_chart(gradient_charts.score_vs_length_chart(remember_scores(outcome), score))
    st.caption(lab.SCORES_HELP.format(score=score.name))
    at_longest = outcome.longest
    longest = at_longest[0].length
    lines = gradient_charts.runs_init_vs_now({o.model_config.cell: o.recorder for o in at_longest})
    title = f"Gradient reaching step t, T = {longest}: dashed = untrained"
    draw_chart(gradient_charts.gradient_reach_chart(lines, title))
    st.caption(lab.COMPARE_REACH_HELP + "\n\n" + gradient_charts.reach_caption(lines))
    frames = [o.recorder.frame() for o in at_longest]
    domain = gradient_charts.heatmap_domain(frames)
    for column, o, frame in zip(st.columns(len(at_longest)), at_longest, frames, strict=False):
        with column:
            draw_chart(gradient_charts.gradient_heatmap(frame, o.model_config.cell, domain))
    st.caption(lab.COMPARE_HEATMAPS_HELP)
    table = gradient_charts.outcomes_frame(outcome.runs).drop(columns=["baseline"])
    st.dataframe(table, hide_index=True, column_config={"test score": st.column_config.NumberColumn(format="%.4f")})


def clipping_tab(config: lab.LabConfig, can_train: bool) -> None:
    st.markdown(lab.CLIPPING_INTRO)
    threshold = controls.clip_threshold_slider(
        st, f"{CLIP_KEY}:threshold", 1.0, "Clip threshold for the clipped run", *lab.CLIPPING_TAB_RANGE
    )
    length = config.source.length
    job = runs_panel(
        CLIP_KEY,
        lab.ComparisonConfig(config, clip_threshold=threshold),
        lab.clipping_runs(config.model, config.train, length, threshold),
        [length],
        can_train,
        clip_norm=threshold,
        train_label=lab.CLIP_TRAIN_LABEL,
    )
    if job is not None and job.state == "done" and job.output.runs:
        show_clipping(job.output)


def show_clipping(outcome: lab.ComparisonOutcome) -> None:
    st.subheader("Without and with clipping")
    for column, o in zip(st.columns(len(outcome.runs)), outcome.runs, strict=False):
        if o.result.status == "diverged":
            column.error(f"**{o.label}**: diverged at step {o.result.steps}. {o.result.message}")
        else:
            column.success(
                f"**{o.label}**: {o.result.status}, {o.result.steps:,} steps, test {outcome.score.name} "
                f"{o.test_score:.4f} (the trivial guess: {o.baseline:.4f})."
            )
    norms = [(o.label, o.result.batch_frame(), o.train.clip_norm, lab.divergence_step(o.result)) for o in outcome.runs]
    draw_chart(gradient_charts.runs_global_norm_chart(norms))
    st.caption(lab.CLIPPING_NORM_HELP)
    lines = gradient_charts.runs_init_vs_now({o.label: o.recorder for o in outcome.runs})
    draw_chart(gradient_charts.gradient_reach_chart(lines, "Gradient reaching step t"))
    st.caption(lab.CLIPPING_REACH_HELP + "\n\n" + gradient_charts.reach_caption(lines))


# ----------------------------------------------------------------------------- page


def busy_panel() -> str:
    """The key of this page's experiment that is training now ("" if none): one at a time."""
    running = running_panels()
    return next((key for key in (KEY, COMPARE_KEY, CLIP_KEY) if key in running), "")


def single_tab(config: lab.LabConfig, task: SequenceTask, can_train: bool) -> None:
    st.markdown(lab.SINGLE_INTRO)
    busy = busy_panel()
    if busy and busy != KEY:
        st.caption(BUSY_NOTE)
    job = training_panel(
        KEY,
        start=lambda: gradient_jobs.make_single_work(config, task),
        config=config,
        metric=task.metric,
        metric_label=task.metric_label,
        clip_norm=config.train.clip_norm,
        can_train=can_train and busy in ("", KEY),
        live_extra=live_single,
    )
    code_panel.code_panel(KEY, config)
    if job is not None and job.state == "done":
        show_single_results(job.output)
    elif job is None and trained_config(KEY) is None:
        st.caption("Tip: the *Tiny* preset trains in a few seconds.")


def main() -> None:
    title("Gradient lab: vanishing and exploding gradients")
    st.markdown(lab.INTRO)
    experiments.section(KEY)
    config = sidebar()
    gradient_lab_views.diagram(config.model.cell)
    try:
        task = load_task(config.source)
    except ValueError as err:
        st.error(f"Cannot build this data set: {err}")
        return
    show_task(task)
    can_train = controls.show_problems(config.model.problems() + config.train.problems())
    single, compare, clipping = st.tabs(
        ["1 · One model, gradients through time", "2 · SimpleRNN vs LSTM vs GRU", "3 · Exploding gradients & clipping"],
        key=f"{KEY}:view",
        on_change="rerun",  # the chosen tab is part of the page's link
    )
    with single:
        single_tab(config, task, can_train)
    with compare:
        compare_tab(config, can_train)
    with clipping:
        clipping_tab(config, can_train)


links.restore(KEY)
main()
links.publish(KEY)
