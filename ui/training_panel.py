"""The shared Train / Stop panel with live progress, curves and gradient norms.

Every page that trains uses this one panel:

    job = training_panel("sentiment", start=lambda: make_work(config), config=config,
                         metric="accuracy", can_train=not problems)
    if job and job.state == "done":
        outcome: SentimentOutcome = job.output   # typed fields, never string keys

The page's `start()` returns a WorkSpec (core.engine.training_job): a module-level function of
its lab (`core/<lab>/jobs.py`) and its arguments - the configuration and the data arrays - whose
call `fn(progress, stop, *args)` returns a TrainedRun (the run contract, core/engine/run.py: the
lab's subclass with `result`, `model`, `config` and its own typed fields). The panel hands it to
the server's run manager (core/engine/runs.py via ui/runs.py), which trains it in a worker
process - or attaches this session to an identical run already queued, training or finished -
and queues it behind the runs already training. The panel redraws from the run's mirrored
progress every second inside a fragment (the place in the queue and an ETA while it waits), so
the rest of the page stays responsive. The run is kept in session state, so reruns and control
changes don't lose it; other pages find it through `finished_runs()`.

Each finished or stopped run is also kept, without its model, in the page's run history
(ui/compare.py, core/engine/compare.py); from the second run on, a "Compare runs" section
under the panel overlays the chosen runs' curves and tabulates what differs between them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from core.engine import charts
from core.engine.config import config_diff
from core.engine.run import TrainedRun
from core.engine.runs import AdmissionError, BusyElsewhere, SharedRun
from core.engine.training_job import ProgressSnapshot, WorkSpec, result_of
from ui import presenter
from ui.charts import legend_px
from ui.compare import compare_section, record_run
from ui.registry import panel_title
from ui.replay import replay
from ui.rooms import record_if_ended
from ui.runs import client_address, rebuild_quietly, run_manager, session_id
from ui.streamlit_internals import in_fragment_rerun

logger = logging.getLogger(__name__)
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?")
_LOGGED_KEY = "panel-logged-failures"

REFRESH_SECONDS = 2.0  # live redraws: each costs the server and the browser CPU the run needs
FIRST_POINT_SECONDS = 0.3  # until the first loss arrives the panel polls this often (it draws no charts then)
WATCHERS_PER_STEP = 8  # every 8 more watchers of one run add REFRESH_SECONDS to each one's redraw interval
END_WATCH_SECONDS = REFRESH_SECONDS  # a crowd's sessions check this often (drawing nothing) whether the run ended
LIVE_POINTS = 300  # batch points per live chart (the full history is drawn once the run ends)
VIEW_MAX_AGE = 1.8  # a shared run's charts are rebuilt at most this often, whoever asks
CHART_HEIGHT = 330  # the charts' own 260 px plot plus title and axis labels

CURVES_HELP = (
    "**What to look for.** The faint line is the loss of each batch (noisy: every batch is "
    "different); bold dots are epoch averages on the training data and on validation data "
    "the model never trains on. Both falling = learning. Training falling while validation "
    "rises = overfitting: the model memorises the training examples - try dropout, fewer "
    "units or fewer epochs."
)
GRADIENTS_HELP = (
    "**What to look for.** The size (L2 norm) of the gradient of the loss with respect to "
    "each layer's weights, per step, on a log scale; the dashed line is all layers together. "
    "Norms that shrink towards zero mean that layer has stopped learning (vanishing "
    "gradients); sudden spikes by orders of magnitude are exploding gradients. With clipping "
    "on, the grey dashed line is the threshold: a step whose global norm lies above it is "
    "scaled down to it before the update."
)


@dataclass
class PanelState:
    job: SharedRun
    config: Any  # the configuration the job was started with
    clip_norm: float | None = None  # the threshold the panel drew for it
    recorded: bool = False  # added to the page's run history (Compare runs) once it ended
    from_cache: bool = False  # the run had already finished on this server when this session asked for it


def _state_key(key: str) -> str:
    return f"panel:{key}"


def current_job(key: str) -> SharedRun | None:
    state: PanelState | None = st.session_state.get(_state_key(key))
    return state.job if state and not state.job.evicted else None


def trained_config(key: str) -> Any:
    state: PanelState | None = st.session_state.get(_state_key(key))
    return state.config if state else None


def _panel_states() -> dict[str, PanelState]:
    """Every panel of this session, by panel key (the page's KEY)."""
    prefix = _state_key("")
    return {
        str(name)[len(prefix) :]: value
        for name, value in st.session_state.items()
        if str(name).startswith(prefix) and isinstance(value, PanelState)
    }


def finished_runs(exclude: str | None = None) -> dict[str, TrainedRun]:
    """The session's finished (or stopped) runs that kept a model, by panel key.

    This is how one page finds models trained on another (the Architectures page looks
    inside them); `exclude` leaves out the caller's own panel.
    """
    return {
        key: state.job.output
        for key, state in _panel_states().items()
        if key != exclude
        and state.job.state == "done"
        and isinstance(state.job.output, TrainedRun)
        and state.job.output.model is not None
    }


def running_panels(exclude: str | None = None) -> list[str]:
    """Panel keys of this session whose run is still training."""
    return [key for key, state in _panel_states().items() if key != exclude and state.job.running]


def _format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _progress_text(snap: ProgressSnapshot) -> str:
    if snap.plan is None or snap.last is None:
        return f"{snap.phase}… ({_format_seconds(snap.elapsed)})"
    last, plan = snap.last, snap.plan
    return (
        f"{snap.phase} · epoch {last.epoch}/{plan.epochs} · batch {last.batch}/{plan.steps_per_epoch} · "
        f"loss {last.loss:.4f} · elapsed {_format_seconds(last.elapsed)} · ETA {_format_seconds(snap.eta_seconds)}"
    )


@dataclass(frozen=True)
class LiveView:
    """One moment of a run, ready to draw: the snapshot and its three chart specs (shared by all watchers)."""

    snap: ProgressSnapshot
    loss: dict
    metric: dict | None
    gradients: dict
    made: float  # time.monotonic() when it was built
    curves_help: str = CURVES_HELP  # what to look for, saying only what these charts draw
    gradients_help: str = GRADIENTS_HELP


_views: OrderedDict[tuple, LiveView] = OrderedDict()
_views_lock = threading.Lock()
MAX_VIEWS = 64


def arrow_datasets(spec: dict) -> dict:
    """The spec with its inline datasets as Arrow tables, converted once per view.

    Given lists of records, st.vega_lite_chart builds a DataFrame and then an Arrow table from them on every
    draw: with 30 sessions redrawing one shared run that was most of the server's CPU per redraw. A pyarrow
    Table (a data type Streamlit's charts take) leaves only its serialisation to each draw. Built as Streamlit
    builds it (`pa.Table.from_pandas` of the records' DataFrame); a dataset Arrow can't type stays a list.
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict):
        return spec
    tables: dict[str, Any] = {}
    for name, records in datasets.items():
        tables[name] = records
        if isinstance(records, list) and records:
            with contextlib.suppress(pa.ArrowException, TypeError, ValueError):
                tables[name] = pa.Table.from_pandas(pd.DataFrame(records))
    return {**spec, "datasets": tables}


def live_view(job: SharedRun, metric: str | None, metric_label: str | None, clip_norm: float | None) -> LiveView:
    """The run's current view, built at most every VIEW_MAX_AGE seconds per run and chart choice.

    Thirty students watching one shared run poll it every second each; building the snapshot
    frames and the Altair specs once and handing every session the same specs keeps the server's
    CPU for the pages (and the worker's training) instead of thirty identical redraws.
    """
    key = (job.key, metric, metric_label, clip_norm)
    now = time.monotonic()
    with _views_lock:
        view = _views.get(key)
        if view is not None and (view.made == float("inf") or (job.running and now - view.made < VIEW_MAX_AGE)):
            return view  # a finished run's full view, or a live one young enough
    snap = job.progress.snapshot(max_points=LIVE_POINTS if job.running else 600)
    batches, epochs = charts.by_run(snap.batches, snap.epochs, job.progress.extra(charts.RUN_STARTS))  # overlaid

    def spec(chart, value: str, label: str) -> dict:
        """The chart's spec, with a text alternative saying what the curve did ("loss fell from 0.69 to 0.23")
        and its data as Arrow tables, once for every session watching."""
        return arrow_datasets(charts.with_summary(chart.to_dict(validate=False), batches, value, label))

    def curves(value: str, label: str) -> dict:
        return spec(charts.training_curves(batches, epochs, value, label), value, label)

    view = LiveView(
        snap,
        curves("loss", "loss"),
        curves(metric, metric_label or metric) if metric else None,
        spec(charts.gradient_norm_chart(batches, clip_norm), "grad_norm", "global gradient norm"),
        now if job.running else float("inf"),
        charts.curves_caption(batches, epochs),
        charts.norms_caption(batches, clip_norm),
    )
    with _views_lock:
        _views[key] = view
        _views.move_to_end(key)
        while len(_views) > MAX_VIEWS:
            _views.popitem(last=False)
    return view


def render_live_charts(view: LiveView) -> None:
    """Loss, metric and gradient-norm charts of one view (specs built once, validated by Altair)."""
    height = presenter.chart_height(CHART_HEIGHT)
    left, right = st.columns(2)
    room = presenter.spec_for_room  # presenter mode: larger text, on a copy of the shared spec
    left.vega_lite_chart(spec=room(view.loss), width="stretch", height=height + legend_px(view.loss))
    if view.metric is not None:
        right.vega_lite_chart(spec=room(view.metric), width="stretch", height=height + legend_px(view.metric))
    st.caption(view.curves_help)
    st.vega_lite_chart(spec=room(view.gradients), width="stretch", height=height + legend_px(view.gradients))
    st.caption(view.gradients_help)


def _downloads(job: SharedRun, key: str) -> None:
    result = result_of(job.output)
    model = job.output.model if isinstance(job.output, TrainedRun) else None
    cols = st.columns(3)
    if result is not None and result.batches:
        histories = (("step", result.batch_frame), ("epoch", result.epoch_frame))
        for col, (unit, frame) in zip(cols, histories, strict=False):
            col.download_button(
                f"History per {unit} (CSV)",
                data=lambda frame=frame: frame().to_csv(index=False),  # written when pressed, not on every draw
                file_name=f"{key}_{unit}s.csv",
                mime="text/csv",
                on_click="ignore",
                key=f"{key}:dl_{unit}s",
            )
    if model is not None:
        cols[2].download_button(
            "Trained model (.keras)",
            data=lambda: model_bytes(model),
            file_name=f"{key}_model.keras",
            mime="application/octet-stream",
            on_click="ignore",
            key=f"{key}:dl_model",
        )


def model_bytes(model) -> bytes:
    """The model in Keras' native format, as bytes for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def visitor_message(error: str, limit: int = 300) -> str:
    """An error for the page: server paths replaced, kept short. Tracebacks go to the log only."""
    text = _PATH.sub("<path>", str(error)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _log_failure(job: SharedRun) -> None:
    """The traceback in the server log, once per failed job (the page redraws every second)."""
    logged: set[int] = st.session_state.setdefault(_LOGGED_KEY, set())
    if id(job) not in logged:
        logged.add(id(job))
        logger.error("Training job %s failed: %s\n%s", job.label, job.error, job.error_detail)


def _final_status(job: SharedRun) -> None:
    if job.state == "cancelled" and job.notice:
        st.warning(job.notice)
        return
    if job.state == "cancelled":
        st.info(
            "This run left the queue before it started, because its page stopped checking on it "
            "(the tab was closed or asleep). Nothing was lost - press Train to queue it again."
        )
        return
    if job.state == "failed":
        _log_failure(job)
        st.error(
            f"Training failed: {visitor_message(job.error)}. Nothing was lost - change the settings and train again."
        )
        return
    result = result_of(job.output)
    if result is None:
        return
    if result.status == "completed":
        st.success(result.message)
    elif result.status == "stopped":
        st.warning(result.message + " The model keeps what it learned so far.")
    else:
        st.error(result.message)


def _record_ended(key: str, state: PanelState) -> None:
    """Add a done (finished or stopped) job to the page's run history, once; a failed job isn't a run."""
    if state.recorded or state.job.running or state.job.state != "done":
        return
    state.recorded = True
    record_run(key, state.job.output, state.config, state.clip_norm)


EVICTED_NOTE = (
    "Your finished model was let go to keep this server's memory for the whole class "
    "(sessions keep a limited amount of trained models). Press **Train** to get it again: "
    "an identical run another visitor has trained comes back at once."
)


def _held_state(key: str) -> PanelState | None:
    """The panel's state, unless the server let go of its finished output (then a note says so)."""
    state: PanelState | None = st.session_state.get(_state_key(key))
    if state is not None and state.job.evicted:
        del st.session_state[_state_key(key)]
        st.session_state[f"panel-note:{key}"] = EVICTED_NOTE
        return None
    return state


def _start_job(key: str, start: Callable[[], WorkSpec], config: Any, clip_norm: float | None = None) -> None:
    """Button callback: runs before the script, so the page redraws with the run queued or training."""
    state: PanelState | None = st.session_state.get(_state_key(key))
    if state is not None and state.job.running:
        return
    if state is not None:
        _record_ended(key, state)  # a run that ended unseen (another page was open) is still kept
    try:
        spec = start()
        rebuild = rebuild_quietly(start)  # a queued run keeps this, not the spec's data, and rebuilds at dispatch
        run = run_manager().submit(session_id(), key, panel_title(key), spec, config, client_address(), rebuild)
    except BusyElsewhere as busy:
        st.session_state[f"panel-busy:{key}"] = busy.other
        return
    except AdmissionError as err:
        st.session_state[f"panel-error:{key}"] = str(err)
        return
    except Exception as err:
        logger.exception("Could not start training (%s)", key)
        st.session_state[f"panel-error:{key}"] = f"Could not start training: {visitor_message(err)}"
        return
    st.session_state[_state_key(key)] = PanelState(run, config, clip_norm, from_cache=run.state == "done")


_REHEARSED: OrderedDict[tuple[str, str], None] = OrderedDict()  # (panel, configuration) handed to a worker
_rehearsed_lock = threading.Lock()


def _rehearse_ahead(key: str, start: Callable[[], WorkSpec], config: Any) -> None:
    """The panel shows a configuration nobody trains: while the workers have nothing to do, one
    rehearses it up to its first step (core.engine.reuse), so a press of Train skips tracing the
    model's training step (about 1-2 s before the first loss point). Once per configuration per
    server; the hashing and the hand-over run off the page's thread."""
    marker = (key, repr(config))
    manager = run_manager()
    with _rehearsed_lock:  # claimed before the spec is built: 30 sessions opening a page at once build it once
        if marker in _REHEARSED or not manager.can_rehearse():
            return
        _REHEARSED[marker] = None
        while len(_REHEARSED) > 64:
            _REHEARSED.popitem(last=False)
    try:
        spec = start()
    except Exception:  # the data isn't there yet, or the controls are invalid: Train will say so
        logger.debug("No rehearsal for %s", key, exc_info=True)
        _REHEARSED.pop(marker, None)
        return

    def hand_over() -> None:
        if not manager.rehearse(key, spec, config):  # the same admission as a run
            _REHEARSED.pop(marker, None)  # not now (a run started, no worker ready): a later draw retries

    threading.Thread(target=hand_over, name="rnn-playground-rehearse", daemon=True).start()


def _stop_job(key: str) -> None:
    """The Stop button: stops the run if this session is its only watcher, else leaves it."""
    state: PanelState | None = st.session_state.get(_state_key(key))
    if state is None:
        return
    outcome = run_manager().stop(state.job, session_id())
    if outcome in ("detached", "left-queue"):
        del st.session_state[_state_key(key)]
        others = len(state.job.watchers)
        if outcome == "left-queue" and not others:
            note = "You left the queue."
        elif not others:  # on a cluster: only visitors of another app server still watch it
            note = state.job.error  # the run manager's words (core/engine/runs.py, _detach_remote)
        else:
            note = f"You left this shared run; it carries on for the {others} other session(s) watching it."
        st.session_state[f"panel-note:{key}"] = note


def _stop_other_and_start(
    key: str, other: SharedRun, start: Callable[[], WorkSpec], config: Any, clip_norm: float | None
) -> None:
    run_manager().stop(other, session_id())
    _start_job(key, start, config, clip_norm)


def _busy_elsewhere(key: str, container, start: Callable[[], WorkSpec], config: Any, clip_norm: float | None) -> None:
    """One run per visitor: say where the other one is and offer to stop it."""
    other: SharedRun | None = st.session_state.pop(f"panel-busy:{key}", None)
    if other is None or not other.running:
        return
    container.warning(
        f"You already have a run {other.state_words} on **{other.title}**. Each visitor trains one run at "
        "a time, so that everyone in the class gets their turn."
    )
    container.button(
        f"Stop the run on {other.title} and train this one",
        key=f"{key}:stop-other",
        on_click=_stop_other_and_start,
        args=(key, other, start, config, clip_norm),
    )


def _queue_text(job: SharedRun) -> str | None:
    place = run_manager().place(job)
    if place is None:
        return None
    return (
        f"Waiting in the queue: place {place.position} of {place.waiting} · starts in about "
        f"{_format_seconds(place.eta_seconds)} · {len(job.watchers)} session(s) waiting for this run. "
        "Other visitors' runs are training; yours starts as soon as a slot is free."
        + (" It paused for another visitor's run and starts again from the beginning." if job.yielded else "")
    )


def _sharing_note(job: SharedRun, from_cache: bool) -> None:
    watchers = len(job.watchers)
    if job.running and watchers > 1:
        st.caption(
            f"Shared run: {watchers} sessions asked for exactly this run (same data, settings and seed), "
            "so the server trains it once and everyone watches the same curves."
        )
    elif not job.running and from_cache:
        st.caption(
            "This exact run (same data, settings and seed) had already been trained on this server, "
            "so you got its result at once instead of waiting for a second copy."
        )


def _awaiting_first_point(job: SharedRun) -> bool:
    """Training has started but no batch has finished yet (there is nothing to chart)."""
    return job.running and not job.queued and job.progress.batch_count == 0


def _refresh_interval(job: SharedRun) -> float | None:
    """Seconds between the live fragment's redraws; None once the run has ended.

    Until the first loss exists the panel polls every FIRST_POINT_SECONDS, drawing only the
    progress text (cheap for the server and the browser), and redraws the page the moment the
    point arrives - unless a crowd watches, where a burst of full redraws would cost the run.
    Many watchers of one shared run each redraw it: each one slows down as the crowd grows, so
    the server's redraws don't take the CPU the run trains on (2 s alone, 4 s from 9 watchers, ...).
    """
    if not job.running:
        return None
    crowd = 1 + (len(job.watchers) - 1) // WATCHERS_PER_STEP if job.watchers else 1
    if crowd == 1 and _awaiting_first_point(job):
        return FIRST_POINT_SECONDS
    return REFRESH_SECONDS * crowd


def _end_watch_interval(run_every: float | None) -> float | None:
    """How often a session whose redraws a crowd slowed down checks, drawing nothing, whether the run ended.

    Without it each of 30 watchers saw the end at its next redraw, up to 8 s late (REFRESH_SECONDS per
    WATCHERS_PER_STEP watchers): the class saw a 14 s run end 1.2-1.3x later than a lone student. The check
    reads one attribute and sends no element, so it costs the server a fraction of a redraw.
    """
    if run_every is None or run_every <= END_WATCH_SECONDS:
        return None
    return END_WATCH_SECONDS


def _is_fast(interval: float | None) -> bool:
    return interval == FIRST_POINT_SECONDS


def training_panel(
    key: str,
    start: Callable[[], WorkSpec],
    config: Any,
    metric: str | None = None,
    metric_label: str | None = None,
    clip_norm: float | None = None,
    can_train: bool = True,
    train_label: str = "Train",
    live_extra: Callable[[SharedRun], None] | None = None,
    prepare: bool = True,
) -> SharedRun | None:
    """Train/Stop buttons, live progress and charts; returns the current job (or None).

    `live_extra(job)` draws page-specific live content (generated samples, a heatmap) under
    the shared charts; it is redrawn every second with them from the run's mirrored progress
    (`job.progress.extra(name)`, which the work sets with `progress.put_extra`), so it only reads.
    `prepare=False` for a panel whose `start()` may load data the page has not loaded yet (no
    rehearsal ahead of the click, see _rehearse_ahead).
    """
    state = _held_state(key)
    running = state is not None and state.job.running

    left, middle, right = st.columns([1, 1, 4])
    left.button(
        train_label,
        type="primary",
        disabled=running or not can_train,
        key=f"{key}:train",
        width="stretch",
        on_click=_start_job,
        args=(key, start, config, clip_norm),
    )
    middle.button("Stop", disabled=not running, key=f"{key}:stop", width="stretch", on_click=_stop_job, args=(key,))
    if error := st.session_state.pop(f"panel-error:{key}", None):
        right.error(error)
    elif note := st.session_state.pop(f"panel-note:{key}", None):
        right.info(note)
    elif running and state.job.stop_signal.requested:
        right.info("Stopping after the current batch…")
    _busy_elsewhere(key, right, start, config, clip_norm)
    if prepare and not running and can_train:
        _rehearse_ahead(key, start, config)

    if state is None:
        st.info(f"Press **{train_label}** to start. Progress, curves and gradient norms will appear here.")
        return None

    if state.config is not None and config is not None and not running:
        changed = config_diff(state.config, config)
        if changed:
            st.info(
                "You changed the controls since this model was trained ("
                + "; ".join(changed[:6])
                + "). The results below are still those of the trained model; "
                f"press **{train_label}** to train a new one."
            )

    job = state.job
    run_every = _refresh_interval(job)
    fast = _is_fast(run_every)

    sid = session_id()

    @st.fragment(run_every=run_every)
    def live() -> None:
        run_manager().touch(job, sid)
        if job.queued and (waiting := _queue_text(job)):
            st.progress(0.0, text=waiting)  # nothing to draw yet: the queue costs the server almost nothing
            _sharing_note(job, state.from_cache)
            return
        switch = run_every is not None and in_fragment_rerun() and _is_fast(_refresh_interval(job)) != fast
        if fast:
            snap = job.progress.snapshot(max_points=1)
            st.progress(snap.fraction, text=_progress_text(snap))  # the first loss shows before the page redraws
            _sharing_note(job, state.from_cache)
        if switch:
            st.rerun()  # the first loss arrived, the run ended or it just left the queue: redraw at the other pace
        if fast:
            return
        view = live_view(job, metric, metric_label, clip_norm)
        if job.running:
            st.progress(view.snap.fraction, text=_progress_text(view.snap))
        _sharing_note(job, state.from_cache)
        render_live_charts(view)
        if live_extra is not None:
            live_extra(job)
        if job.running is False and run_every is not None:
            st.rerun()  # the job just ended: redraw the whole page with its results

    helps = (CURVES_HELP, GRADIENTS_HELP)
    if not (state.from_cache and job.state == "done" and replay(key, job, metric, metric_label, clip_norm, helps)):
        live()  # a run from the cache may be replayed instead (ui/replay.py)
    if (every := _end_watch_interval(run_every)) is not None:

        @st.fragment(run_every=every)
        def watch_end() -> None:
            if in_fragment_rerun() and not job.running:
                st.rerun()  # the run ended between two of a crowd's slow redraws: show the results now

        watch_end()
    if not job.running:
        _record_ended(key, state)
        _final_status(job)
        if job.state == "done":
            _downloads(job, key)
    record_if_ended(key, state, metric, metric_label)  # the class board (ui/rooms.py), when this session is in a room
    compare_section(key, metric, metric_label)
    return job


def history_table(result) -> pd.DataFrame:
    """Epoch history with readable column names, for st.dataframe."""
    return result.epoch_frame().rename(columns=lambda c: c.replace("_", " "))
