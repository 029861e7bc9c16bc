"""Replay a run served from the shared cache: its recorded curves drawn again over a few seconds.

A run someone on this server already trained is handed to the next session at once (core/engine/runs.py),
so a class that opens the teacher's link sees a finished chart and never watches the loss fall. The
training panel offers "Replay the training" under such a run: the recorded steps are drawn from the
first one to the last over REPLAY_SECONDS, epoch points appearing as their epochs end, then the panel
shows the finished run again. Nothing is trained; only what was recorded is drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.engine import charts
from core.engine.runs import SharedRun
from ui.charts import draw_chart

REPLAY_SECONDS = 6.0
FRAME_SECONDS = 0.5


def _key(panel: str) -> str:
    return f"replay:{panel}"


def _start(panel: str) -> None:
    st.session_state[_key(panel)] = time.monotonic()


def fraction(panel: str, now: float | None = None) -> float | None:
    """How far the panel's replay has got (0..1), or None when it is not replaying."""
    started = st.session_state.get(_key(panel))
    if started is None:
        return None
    return min(1.0, ((time.monotonic() if now is None else now) - started) / REPLAY_SECONDS)


def cut(batches: pd.DataFrame, epochs: pd.DataFrame, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorded history as it stood `share` of the way through: the steps up to there, and the epochs
    whose last step is among them."""
    if batches.empty:
        return batches, epochs
    last_step = batches["step"].min() + share * (batches["step"].max() - batches["step"].min())
    shown = batches[batches["step"] <= last_step]
    if epochs.empty or "epoch" not in epochs:
        return shown, epochs
    ends = batches.groupby("epoch")["step"].max()
    done = [int(e) for e, step in ends.items() if step <= last_step]
    return shown, epochs[epochs["epoch"].isin(done)]


def replay(
    panel: str,
    job: SharedRun,
    metric: str | None,
    metric_label: str | None,
    clip_norm: float | None,
    captions: tuple[str, str],
) -> bool:
    """Under a finished run from the cache: the replay button, or the replay itself. True while replaying
    (the panel then draws nothing else of the run's charts)."""
    share = fraction(panel)
    if share is None:
        st.button(
            "Replay the training",
            key=f"{panel}:replay",
            on_click=_start,
            args=(panel,),
            help=f"This run came from the server's cache, finished. Replay draws its recorded curves again over "
            f"{REPLAY_SECONDS:.0f} seconds, so you can watch the loss fall as it did while it trained.",
        )
        return False
    snap = job.progress.snapshot(max_points=600)

    @st.fragment(run_every=FRAME_SECONDS)
    def frame() -> None:
        now_share = fraction(panel)
        if now_share is None:
            return
        batches, epochs = cut(snap.batches, snap.epochs, now_share)
        st.progress(now_share, text=f"Replaying the recorded training: {now_share:.0%}")
        _draw(batches, epochs, metric, metric_label, clip_norm, captions)
        if now_share >= 1.0:
            st.session_state.pop(_key(panel), None)
            st.rerun()  # back to the finished run's own view

    frame()
    return True


def _draw(
    batches: pd.DataFrame,
    epochs: pd.DataFrame,
    metric: str | None,
    metric_label: str | None,
    clip_norm: float | None,
    captions: tuple[str, str],
) -> None:
    """The live view's charts, drawn as it draws them (ui.charts.draw_chart: fixed heights with room for the
    legends below, presenter mode's sizes, a text alternative), so a replay's frames don't jump in height."""
    curves: Callable = charts.training_curves
    left, right = st.columns(2)
    with left:
        draw_chart(curves(batches, epochs, "loss", "loss"), live=True)
    if metric:
        with right:
            draw_chart(curves(batches, epochs, metric, metric_label or metric), live=True)
    st.caption(captions[0])
    draw_chart(charts.gradient_norm_chart(batches, clip_norm), live=True)
    st.caption(captions[1])
