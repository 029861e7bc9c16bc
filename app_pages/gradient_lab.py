"""Gradient lab: vanishing and exploding gradients through time, measured and shown.

Widgets -> LabConfig -> core.gradients.through_time (model, recorder, runs) -> charts.
Three experiments share one sidebar: train one model and watch ||dL/dx_t|| per step;
train SimpleRNN, LSTM and GRU on the same data and seed (at one or several T); train the
same model without and with gradient clipping.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.data.local import DATA_ENV_VAR
from core.data.memory_tasks import SequenceTask
from core.engine import limits
from core.engine.cells import CELLS
from core.engine.config import TrainConfig
from core.gradients import charts as gradient_charts
from core.gradients.config import ComparisonConfig, LabConfig, SourceChoice
from core.gradients.through_time import (
    ACTIVATIONS,
    JACOBIANS,
    MAX_RECURRENT_SCALE,
    LabModel,
    LabRun,
    bptt_dot,
    cell_runs,
    clipping_runs,
    combined_result,
    init_vs_now,
    outcomes_frame,
    reach_ratio,
    train_and_probe,
    train_runs,
)
from ui import controls, data_cache, gradient_lab_data
from ui.training_panel import current_job, trained_config, training_panel

KEY = "gradient-lab"
COMPARE_KEY = f"{KEY}-compare"
CLIP_KEY = f"{KEY}-clip"
SOURCES = {
    "adding": "Adding problem (generated)",
    "recall": "Copy/recall (generated)",
    "imdb": "IMDb long reviews",
    "stocks": "Stock return windows",
}
TICKERS = ("SPY", "AAPL", "MSFT", "AMZN", "GOOGL", "IBM")
LENGTH_CHOICES = (10, 20, 30, 50, 60, 75, 100, 150, 200, 300, 400, 500)
SCALE_CHOICES = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0)
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


PRESETS: dict[str, LabConfig] = {
    "Vanishing: SimpleRNN on the adding problem": LabConfig(
        SourceChoice("adding", 50, 10_000),
        LabModel("SimpleRNN", 32, "tanh", 1.0),
        TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, clip_norm=1.0),
    ),
    "The cure: GRU on the same task": LabConfig(
        SourceChoice("adding", 50, 10_000),
        LabModel("GRU", 32, "tanh", 1.0),
        TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, clip_norm=1.0),
    ),
    "Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping": LabConfig(
        SourceChoice("adding", 50, 2_000),
        LabModel("SimpleRNN", 16, "tanh", 2.0),
        TrainConfig(epochs=2, batch_size=32, learning_rate=0.3, optimizer="sgd"),
        every=2,
    ),
    "Copy/recall: name the marked symbol": LabConfig(
        SourceChoice("recall", 50, 10_000),
        LabModel("GRU", 32, "tanh", 1.0),
        TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, clip_norm=1.0),
    ),
    "Tiny: a few seconds": LabConfig(
        SourceChoice("adding", 20, 1_000),
        LabModel("SimpleRNN", 8, "tanh", 1.0),
        TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2, clip_norm=1.0),
        every=4,
        probe_size=16,
    ),
    "IMDb: how far back does a review's gradient reach?": LabConfig(
        SourceChoice("imdb", 200, 4_000),
        LabModel("GRU", 32, "tanh", 1.0),
        TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, clip_norm=1.0),
    ),
    "Stocks: 60 days of returns": LabConfig(
        SourceChoice("stocks", 60, 0),
        LabModel("SimpleRNN", 16, "tanh", 1.0),
        TrainConfig(epochs=3, batch_size=64, learning_rate=3e-3, clip_norm=1.0),
    ),
}

BPTT_TEXT = (
    "Training an RNN means running it forward over the whole sequence, then sending the error back "
    "through every step it took - **backpropagation through time**. On the way back the gradient is "
    "multiplied once per step by the same kind of factor (for a SimpleRNN: the activation's slope times "
    "the recurrent matrix U). Multiply 100 numbers a bit below 1 and you get almost 0: the first inputs "
    "receive no learning signal (**vanishing gradient**). Multiply 100 numbers a bit above 1 and you get "
    "something huge: one update throws the weights away (**exploding gradient**). LSTM and GRU add a path "
    "whose factor is a *gate* the network learns to hold near 1, so the signal survives; **gradient "
    "clipping** caps the size of an update so one explosion cannot wreck the model."
)
HEATMAP_HELP = (
    "**What this shows.** Each row is one snapshot of the model during training (the top row is the "
    "untrained model); each column is an input position t. The colour is the size of the gradient of the "
    "loss with respect to the input at that step, ‖∂L/∂x_t‖, averaged over a fixed probe batch, on a log "
    "scale. **What to look for:** a SimpleRNN shows a bright right edge and a dark left side - only the last "
    "few steps get a learning signal. A gated cell keeps the left side lit, often brighter as it learns "
    "where the important steps are. **Try next:** lengthen T, or change the recurrent weight scale."
)
REACH_HELP = (
    "**What this shows.** The same gradient norms as one line per moment: dashed at initialisation, solid "
    "now. A straight falling line on this log axis is geometric decay - the gradient shrinks by the same "
    "factor every step back in time. The ratio *first step / last step* is printed above. **What to look "
    "for:** ratios like 1e-6 mean the first inputs are invisible to learning; a line that rises to the "
    "left is an exploding gradient. **Try next:** set the recurrent weight scale above 1 with a ReLU or "
    "linear activation and watch the slope flip."
)
GLOBAL_NORM_HELP = (
    "**What this shows.** The size of the whole gradient (all weights together) at every training step, "
    "before clipping (blue) and after (orange, what the optimiser actually used). The red dashed line is the "
    "clip threshold; a red vertical line marks the step where the loss or gradient became NaN/inf and "
    "training stopped, keeping the last good weights. **What to look for:** spikes of several orders of "
    "magnitude are exploding gradients; with clipping the orange line never rises above the threshold."
)


# ----------------------------------------------------------------------------- controls


def sidebar() -> LabConfig:
    st.sidebar.header("Gradient lab settings")
    preset_name = st.sidebar.selectbox(
        "Preset", list(PRESETS), key=f"{KEY}:preset", help="Each preset remembers its own settings."
    )
    preset = PRESETS[preset_name]
    key = f"{KEY}:{list(PRESETS).index(preset_name)}"
    with st.sidebar.expander("Data", expanded=True):
        source = source_controls(key, preset.source)
    with st.sidebar.expander("Model", expanded=True):
        model = model_controls(key, preset.model)
    with st.sidebar.expander("Training", expanded=True):
        train = train_controls(key, preset.train)
        every = st.slider(
            "Record gradients every K steps",
            1,
            100,
            preset.every,
            key=f"{key}:every",
            help="Each snapshot costs about one training step; fewer snapshots = faster training.",
        )
    return LabConfig(source, model, train, int(every), preset.probe_size)


def source_controls(key: str, defaults: SourceChoice) -> SourceChoice:
    kind = st.radio(
        "Sequences",
        list(SOURCES),
        index=list(SOURCES).index(defaults.kind),
        format_func=SOURCES.get,
        key=f"{key}:source",
    )
    length = st.select_slider(
        "Sequence length T",
        LENGTH_CHOICES,
        defaults.length,
        key=f"{key}:length",
        help="How many steps the network reads before it answers; the gradient has to travel back T steps.",
    )
    train_size, ticker, local_path = defaults.train_size, defaults.ticker, defaults.local_path
    if kind in ("adding", "recall"):
        train_size = st.select_slider(
            "Training sequences",
            [1_000, 2_000, 4_000, 10_000, 20_000],
            max(1_000, defaults.train_size or 10_000),
            key=f"{key}:train_size",
        )
    elif kind == "imdb":
        train_size = st.select_slider(
            "Training reviews (at most)",
            [1_000, 2_000, 4_000, 8_000],
            defaults.train_size or 4_000,
            key=f"{key}:imdb_size",
        )
    else:
        ticker = st.selectbox("Ticker", TICKERS, index=TICKERS.index(defaults.ticker), key=f"{key}:ticker")
    if kind in ("imdb", "stocks"):
        local_path = controls.local_path_input(
            "Local copy (folder)",
            key=f"{key}:local",
            help="A folder with imdb/ and stocks/ inside, like ../shared/data.",
        )
    return SourceChoice(kind, int(length), int(train_size), ticker, local_path)


def model_controls(key: str, defaults: LabModel) -> LabModel:
    cell = st.radio(
        "Cell",
        list(CELLS),
        index=CELLS.index(defaults.cell),
        horizontal=True,
        key=f"{key}:cell",
        help=controls.CELL_HELP,
    )
    units = st.select_slider("Units", [4, 8, 16, 32, 64, 128], defaults.units, key=f"{key}:units")
    activation = st.radio(
        "Activation",
        list(ACTIVATIONS),
        index=ACTIVATIONS.index(defaults.activation),
        horizontal=True,
        key=f"{key}:activation",
        help="tanh squashes (its slope is at most 1, so it can only shrink the gradient); relu and linear do not "
        "squash, so a recurrent scale above 1 makes both the state and the gradient grow step after step.",
    )
    scale = st.select_slider(
        "Recurrent weight scale ρ",
        SCALE_CHOICES,
        defaults.recurrent_scale,
        key=f"{key}:scale",
        help="Gain of the orthogonal initialiser of the recurrent matrix U. For a SimpleRNN it is the spectral "
        "radius of U (its largest |eigenvalue|): the factor by which U stretches the state - and the gradient - "
        f"each step. Range up to {MAX_RECURRENT_SCALE:g}.",
    )
    layers = st.slider("Recurrent layers", 1, limits.MAX_LAYERS, defaults.layers, key=f"{key}:layers")
    return LabModel(cell, int(units), activation, float(scale), int(layers))


def train_controls(key: str, defaults: TrainConfig) -> TrainConfig:
    epochs = st.slider("Epochs", 1, 30, defaults.epochs, key=f"{key}:epochs")
    batch_size = st.select_slider("Batch size", [16, 32, 64, 128, 256], defaults.batch_size, key=f"{key}:batch")
    optimizer = st.radio(
        "Optimiser",
        ["adam", "sgd", "rmsprop"],
        index=["adam", "sgd", "rmsprop"].index(defaults.optimizer),
        horizontal=True,
        key=f"{key}:optimizer",
        help="Plain SGD steps in proportion to the gradient, so an exploding gradient becomes an exploding step. "
        "Adam divides by a running gradient size, which hides (but does not cure) explosions.",
    )
    lr = st.select_slider(
        "Learning rate",
        list(LR_CHOICES),
        defaults.learning_rate,
        format_func=lambda v: f"{v:g}",
        key=f"{key}:lr",
    )
    clip_on = st.toggle("Clip the gradient norm", value=defaults.clip_norm is not None, key=f"{key}:clip_on")
    clip_norm = None
    if clip_on:
        clip_norm = st.select_slider(
            "Clip threshold (global norm)",
            [0.1, 0.5, 1.0, 2.0, 5.0, 10.0],
            defaults.clip_norm or 1.0,
            key=f"{key}:clip",
        )
    seed = st.number_input("Seed", 0, 9_999, defaults.seed, key=f"{key}:seed", help="Same seed = same data order.")
    return TrainConfig(
        epochs=int(epochs),
        batch_size=int(batch_size),
        learning_rate=float(lr),
        optimizer=optimizer,
        clip_norm=clip_norm,
        seed=int(seed),
    )


# ----------------------------------------------------------------------------- data


def load_task(source: SourceChoice, length: int | None = None) -> SequenceTask:
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
        st.warning(
            f"**Offline default in use - not real data.** {task.source.notice} "
            f"Set ${DATA_ENV_VAR} or give a local copy in the sidebar to use the real data."
        )
        data_cache.retry_button(f"gradient_lab:{task.name}")


# ----------------------------------------------------------------------------- experiment 1: one model


def make_single_work(config: LabConfig, task: SequenceTask):
    def work(progress, stop):
        progress.set_phase("Building the model and the probe batch")
        progress.put_extra("label", config.model.cell)
        outcome = train_and_probe(
            task,
            config.model,
            config.train,
            callbacks=[progress],
            stop=stop,
            every=config.every,
            probe_size=config.probe_size,
            label=config.model.cell,
            on_ready=lambda recorder: progress.put_extra("recorder", recorder),
        )
        return {
            "result": outcome.result,
            "model": outcome.model,
            "outcome": outcome,
            "config": config,
            "score": task.score,
        }

    return work


def live_single(job) -> None:
    """While training: the gradient views, redrawn every second (the results repeat them after)."""
    recorder = job.progress.extra("recorder")
    if recorder is None or not job.running:
        return
    gradient_views(recorder, job.progress.extra("label") or "model")


def gradient_views(recorder, label: str) -> None:
    latest = recorder.latest()
    if latest is None:
        return
    first = recorder.initial()
    c1, c2 = st.columns(2)
    c1.metric(
        "Gradient at step 1 / at step T, now",
        f"{reach_ratio(latest.norms):.1e}",
        help="How much of the gradient the last input gets reaches the first input. 1 = all of it.",
    )
    c2.metric("… at initialisation", f"{reach_ratio(first.norms):.1e}")
    left, right = st.columns(2)
    with left:
        st.altair_chart(gradient_charts.gradient_heatmap(recorder.frame()), width="stretch")
        st.caption(HEATMAP_HELP)
    with right:
        st.altair_chart(gradient_charts.gradient_reach_chart(init_vs_now(recorder, label)), width="stretch")
        st.caption(REACH_HELP)


def show_single_results(output: dict) -> None:
    outcome, config, task_score = output["outcome"], output["config"], output["score"]
    result = outcome.result
    st.subheader("What it learned")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        f"Test {task_score.name}",
        f"{outcome.test_score:.4f}",
        delta=f"{outcome.test_score - task_score.baseline:+.4f} vs baseline",
        delta_color="inverse" if task_score.lower_is_better else "normal",
    )
    c2.metric(f"Baseline ({task_score.baseline_label})", f"{task_score.baseline:.4f}")
    c3.metric(
        "Spectral radius of U after training",
        f"{outcome.spectral_radius:.2f}",
        help=f"Started at about {outcome.model_config.recurrent_scale:g} (the initialiser's gain).",
    )
    if result.status == "diverged":
        st.caption(
            f"Training diverged at step {result.steps}; the model keeps the weights from step "
            f"{outcome.restored_step}, the last that gave a finite loss - which may still be far off."
        )
    else:
        st.caption(verdict(outcome.test_score, task_score))
    diverged = result.steps if result.status == "diverged" else None
    st.altair_chart(
        gradient_charts.global_norm_chart(result.batch_frame(), config.train.clip_norm, diverged), width="stretch"
    )
    st.caption(GLOBAL_NORM_HELP)
    st.subheader("Gradients through time")
    gradient_views(outcome.recorder, outcome.label)
    st.caption(
        f"Recorded {len(outcome.recorder.snapshots)} snapshots on {config.probe_size} fixed test examples; "
        f"probing took {outcome.recorder.seconds:.1f} s of the {result.seconds:.1f} s run."
    )
    what_next(outcome, config)


def verdict(value: float, score) -> str:
    """One sentence on where a test score sits between the trivial baseline and perfect."""
    if score.lower_is_better:
        share = value / score.baseline if score.baseline else float("nan")
        if share > 0.8:
            return "Close to the trivial baseline: the network has not learned to use the early steps (yet)."
        if share > 0.3:
            return "Better than the trivial baseline, far from solved: more epochs, or a gated cell."
        return "Well below the trivial baseline: the network carries the information across the sequence."
    gain = (value - score.baseline) / max(1e-9, 1 - score.baseline)
    if gain < 0.2:
        return "About as good as the trivial guess: the information at the start did not make it to the answer."
    if gain < 0.8:
        return "Clearly better than guessing, not perfect yet."
    return "Close to perfect: the network remembers across the whole sequence."


def what_next(outcome, config: LabConfig) -> None:
    tips = []
    if outcome.result.status == "diverged":
        tips.append("Turn on **Clip the gradient norm** (threshold 1) and train again: the same run stays finite.")
        tips.append("Or lower the recurrent weight scale below 1, or switch the activation to tanh.")
    elif outcome.model_config.cell == "SimpleRNN":
        tips.append("Switch the cell to **GRU** or **LSTM** and compare the heatmaps - or use the second tab.")
        tips.append("Double T and watch the ratio 'step 1 / step T' fall by orders of magnitude.")
    else:
        tips.append("Try the same T with a SimpleRNN, or push T to 200-500 where even gated cells struggle.")
    tips.append(
        "Pick the *Exploding* preset (ρ = 2, plain SGD, learning rate 0.3, no clipping) to make gradients explode, "
        "then run the third tab to see clipping keep the same run finite."
    )
    st.info("**What to try next**\n\n" + "\n".join(f"- {t}" for t in tips))


# ----------------------------------------------------------------------------- experiments 2 and 3: several runs


def make_runs_work(config: LabConfig, runs: list[LabRun], tasks: dict[int, SequenceTask]):
    def work(progress, stop):
        recorders: dict[str, object] = {}

        def on_run(run, recorder):
            recorders[run.label] = recorder
            progress.put_extra("recorders", dict(recorders))
            progress.put_extra("current", run.label)

        outcomes = train_runs(
            runs,
            tasks.__getitem__,
            progress,
            stop,
            every=config.every,
            probe_size=config.probe_size,
            on_run=on_run,
            set_phase=progress.set_phase,
        )
        combined = combined_result(outcomes, stopped=stop.requested)
        last_model = outcomes[-1].model if outcomes else None
        score = tasks[runs[0].length].score
        return {"result": combined, "model": last_model, "outcomes": outcomes, "config": config, "score": score}

    return work


def live_runs(job) -> None:
    """While training: the current run's heatmap and every run's gradient profile so far."""
    recorders = job.progress.extra("recorders") or {}
    current = job.progress.extra("current")
    if not recorders or not job.running:
        return
    lines = pd.concat([init_vs_now(r, label) for label, r in recorders.items()], ignore_index=True)
    left, right = st.columns(2)
    with left:
        st.altair_chart(
            gradient_charts.gradient_heatmap(recorders[current].frame(), f"Gradient through time: {current}"),
            width="stretch",
        )
    with right:
        st.altair_chart(
            gradient_charts.gradient_reach_chart(lines, "Gradient reaching step t, every run"), width="stretch"
        )
    st.caption("Live: the heatmap follows the run now training; the lines add each run as it starts.")


def compare_tab(config: LabConfig, can_train: bool, busy: str) -> None:
    st.markdown(
        "One click trains **SimpleRNN, LSTM and GRU** with the settings in the sidebar (units, activation, "
        "recurrent scale, optimiser, epochs and seed are the same; only the cell differs), on the same data in "
        "the same order. Pick several sequence lengths to see the SimpleRNN fall to the baseline as T grows."
    )
    extra = st.multiselect(
        f"Also compare at these lengths (T = {config.source.length} from the sidebar is always included)",
        [t for t in LENGTH_CHOICES if t != config.source.length],
        default=[],
        key=f"{COMPARE_KEY}:lengths",
        help="Each T trains three models; on a small server keep it to two or three lengths.",
    )
    lengths = {config.source.length, *(t for t in extra)}
    lengths = sorted(int(t) for t in lengths)
    runs = cell_runs(config.model, config.train, lengths)
    st.caption(f"{len(runs)} runs of {config.train.epochs} epoch(s) each.")
    if busy and busy != COMPARE_KEY:
        st.caption("Another experiment of this page is training; wait for it or stop it first.")
    job = training_panel(
        COMPARE_KEY,
        start=lambda: make_runs_work(config, runs, {t: load_task(config.source, t) for t in lengths}),
        config=ComparisonConfig(config, tuple(lengths)),
        metric=load_task(config.source).metric,
        metric_label=load_task(config.source).metric_label,
        clip_norm=config.train.clip_norm,
        can_train=can_train and busy in ("", COMPARE_KEY),
        train_label="Train all three cells",
        live_extra=live_runs,
    )
    if job is not None and job.state == "done" and job.output["outcomes"]:
        show_comparison(job.output)


def remember_scores(output: dict) -> pd.DataFrame:
    """Add a finished comparison to this session's score table; return the rows that share
    its task and settings (everything but the cell and T), for the score-vs-T chart."""
    config: LabConfig = output["config"]
    signature = repr((config.source.kind, config.source.train_size, replace(config.model, cell=""), config.train))
    table: dict = st.session_state.setdefault(f"{COMPARE_KEY}:scores", {})
    frame = outcomes_frame(output["outcomes"])
    for row in frame.to_dict("records"):
        table[(signature, row["cell"], row["T"])] = {**row, "signature": signature}
    rows = [r for r in table.values() if r["signature"] == signature]
    return pd.DataFrame(rows).sort_values(["cell", "T"])


def show_comparison(output: dict) -> None:
    outcomes, score = output["outcomes"], output["score"]
    scores = remember_scores(output)
    st.subheader("Who learned the task?")
    st.altair_chart(gradient_charts.score_vs_length_chart(scores, score), width="stretch")
    st.caption(
        f"**What this shows.** Test {score.name} of each cell at each sequence length you have compared with "
        "these settings (points from earlier comparisons stay). The grey dashed line is the trivial baseline: "
        "a cell on it learned nothing the task needs. **What to look for:** the SimpleRNN reaches the baseline "
        "at a much shorter T than LSTM and GRU. **Try next:** add a longer T; or give every run more epochs."
    )
    longest = max(o.length for o in outcomes)
    at_longest = [o for o in outcomes if o.length == longest]
    lines = pd.concat([init_vs_now(o.recorder, o.model_config.cell) for o in at_longest], ignore_index=True)
    st.altair_chart(
        gradient_charts.gradient_reach_chart(lines, f"Gradient reaching step t, T = {longest}: dashed = untrained"),
        width="stretch",
    )
    st.caption(
        "**What this shows.** For each cell, ‖∂L/∂x_t‖ on the probe batch before training (dashed) and after "
        "(solid). **What to look for:** the red SimpleRNN line falls steeply to the left - the first steps get "
        "orders of magnitude less gradient than the last - while the LSTM and GRU lines stay much flatter."
    )
    frames = [o.recorder.frame() for o in at_longest]
    domain = gradient_charts.heatmap_domain(frames)
    columns = st.columns(len(at_longest))
    for column, o, frame in zip(columns, at_longest, frames, strict=False):
        with column:
            st.altair_chart(gradient_charts.gradient_heatmap(frame, o.model_config.cell, domain), width="stretch")
    st.caption(
        "The same measurement over training, one heatmap per cell, on one shared colour scale: the same colour is "
        "the same gradient size in all three. Dark columns on the left = early steps that get no learning signal."
    )
    table = outcomes_frame(outcomes).drop(columns=["baseline"])
    st.dataframe(table, hide_index=True, column_config={"test score": st.column_config.NumberColumn(format="%.4f")})


def clipping_tab(config: LabConfig, can_train: bool, busy: str) -> None:
    st.markdown(
        "Trains the model in the sidebar twice from the same starting weights: **without clipping** and **with "
        "clip-by-global-norm**. With a recurrent weight scale well above 1 (try 2) each step back in time can "
        "stretch the gradient; with plain SGD a huge gradient becomes a huge step, the weights are thrown far "
        "away and a few steps later the loss is NaN - the trainer detects it, stops and keeps the last good "
        "weights. Clipping rescales every update to at most the threshold, so the same run stays finite. The "
        "*Exploding* preset sets this up."
    )
    threshold = st.select_slider(
        "Clip threshold for the clipped run", [0.1, 0.5, 1.0, 2.0, 5.0], 1.0, key=f"{CLIP_KEY}:threshold"
    )
    runs = clipping_runs(config.model, config.train, config.source.length, float(threshold))
    if busy and busy != CLIP_KEY:
        st.caption("Another experiment of this page is training; wait for it or stop it first.")
    job = training_panel(
        CLIP_KEY,
        start=lambda: make_runs_work(config, runs, {config.source.length: load_task(config.source)}),
        config=ComparisonConfig(config, clip_threshold=float(threshold)),
        metric=load_task(config.source).metric,
        metric_label=load_task(config.source).metric_label,
        clip_norm=float(threshold),
        can_train=can_train and busy in ("", CLIP_KEY),
        train_label="Train without and with clipping",
        live_extra=live_runs,
    )
    if job is not None and job.state == "done" and job.output["outcomes"]:
        show_clipping(job.output)


def show_clipping(output: dict) -> None:
    st.subheader("Without and with clipping")
    outcomes = output["outcomes"]
    columns = st.columns(len(outcomes))
    for column, o in zip(columns, outcomes, strict=False):
        with column:
            status = o.result.status
            if status == "diverged":
                st.error(f"**{o.label}**: diverged at step {o.result.steps}. {o.result.message}")
            else:
                st.success(f"**{o.label}**: {status}, {o.result.steps} steps, test score {o.test_score:.4f}.")
            diverged = o.result.steps if status == "diverged" else None
            st.altair_chart(
                gradient_charts.global_norm_chart(o.result.batch_frame(), o.train.clip_norm, diverged, o.label),
                width="stretch",
            )
    st.caption(GLOBAL_NORM_HELP)
    lines = pd.concat([init_vs_now(o.recorder, o.label) for o in outcomes], ignore_index=True)
    st.altair_chart(gradient_charts.gradient_reach_chart(lines, "Gradient reaching step t"), width="stretch")
    st.caption(
        "Lines rising to the left mean the gradient *grows* as it travels back: each step multiplies it by more "
        "than 1. Clipping does not change this direction, only the size of the update the optimiser takes."
    )


# ----------------------------------------------------------------------------- page


def busy_panel() -> str:
    """The key of this page's experiment that is training now ("" if none): one at a time."""
    for key in (KEY, COMPARE_KEY, CLIP_KEY):
        job = current_job(key)
        if job is not None and job.running:
            return key
    return ""


def main() -> None:
    st.title("Gradient lab: vanishing and exploding gradients")
    st.markdown(
        "Every textbook says a plain RNN cannot learn long-range dependencies because its gradient vanishes "
        "(or explodes) through time, that LSTM and GRU fix it, and that gradient clipping guards against "
        "explosions. Here you **measure** it: the size of the gradient that reaches each input step, while the "
        "network trains, on tasks built to need long memory."
    )
    config = sidebar()
    with st.expander("How the gradient travels back through time (diagram)", expanded=False):
        st.graphviz_chart(bptt_dot(config.model.cell))
        st.caption(
            "Black arrows: the forward pass reads x_1 … x_T into states h_1 … h_T and answers once at the end "
            "(many-to-one). Red dashed arrows: the backward pass, one Jacobian factor J per step."
        )
        st.latex(
            r"\frac{\partial L}{\partial x_t} = \frac{\partial L}{\partial h_T}\,"
            r"\underbrace{J_T\,J_{T-1}\cdots J_{t+1}}_{T-t\ \text{factors}}\,\frac{\partial h_t}{\partial x_t},"
            r"\qquad J_k = \frac{\partial h_k}{\partial h_{k-1}}"
        )
        st.caption(f"For the {config.model.cell} chosen in the sidebar: {JACOBIANS[config.model.cell]}.")
        st.markdown(BPTT_TEXT)
    try:
        task = load_task(config.source)
    except ValueError as err:
        st.error(f"Cannot build this data set: {err}")
        return
    show_task(task)
    problems = config.model.problems() + config.train.problems()
    can_train = controls.show_problems(problems)
    busy = busy_panel()

    single, compare, clipping = st.tabs(
        ["1 · One model, gradients through time", "2 · SimpleRNN vs LSTM vs GRU", "3 · Exploding gradients & clipping"]
    )
    with single:
        st.markdown(
            "Train the model in the sidebar and watch, every few steps, how much gradient reaches each input "
            "step. Start with the *Vanishing* preset, then the *cure*."
        )
        if busy and busy != KEY:
            st.caption("Another experiment of this page is training; wait for it or stop it first.")
        job = training_panel(
            KEY,
            start=lambda: make_single_work(config, task),
            config=config,
            metric=task.metric,
            metric_label=task.metric_label,
            clip_norm=config.train.clip_norm,
            can_train=can_train and busy in ("", KEY),
            live_extra=live_single,
        )
        if job is not None and job.state == "done":
            show_single_results(job.output)
        elif job is None and trained_config(KEY) is None:
            st.caption("Tip: the *Tiny* preset trains in a few seconds.")
    with compare:
        compare_tab(config, can_train, busy)
    with clipping:
        clipping_tab(config, can_train, busy)


main()
