"""Streamlit glue for the run manager (core/engine/runs.py): one per server, one id per session.

The manager and its worker processes are created once per server process (`st.cache_resource`),
on the first press of Train, and shut down with the process. Each browser session gets an id of
its own in session state; when the app runs under a real Streamlit server, the manager also asks
the server whether that session is still connected, so a closed tab leaves the queue within
seconds instead of waiting for its page to stop polling.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from core.engine.runs import RunManager, RunSettings, new_session_id
from ui import streamlit_internals

logger = logging.getLogger(__name__)
T = TypeVar("T")

_SESSION_KEY = "runs:session-id"
_streamlit_ids: dict[str, str] = {}  # our session id -> Streamlit's, for the liveness check
_ids_lock = threading.Lock()
_current: list[RunManager] = []  # the manager run_manager() made, for existing_manager()


def _session_alive(session: str) -> bool | None:
    """Whether the browser session is still connected; None where nobody can tell (AppTest)."""
    with _ids_lock:
        streamlit_id = _streamlit_ids.get(session)
    return None if streamlit_id is None else streamlit_internals.session_connected(streamlit_id)


# Streamlit's per-run keras clear_session() protects nothing here (training runs in workers) and costs the
# server's CPU: replaced once per process (ui/streamlit_internals.py explains, app.py also runs its self-check).
streamlit_internals.keep_keras_session()


def _settings_environment() -> dict[str, str]:
    """The environment, plus the scheduler address from Streamlit's secrets where a deployer put it there."""
    environ = dict(os.environ)
    if not environ.get("RNN_PLAYGROUND_SCHEDULER", "").strip():
        try:
            address = st.secrets.get("RNN_PLAYGROUND_SCHEDULER", "")
        except Exception:  # no secrets file: the usual case
            address = ""
        if address:
            environ["RNN_PLAYGROUND_SCHEDULER"] = str(address)
    return environ


@st.cache_resource(show_spinner=False)
def run_manager() -> RunManager:
    """The server's one run manager (and its worker pool or cluster client), started on first use."""
    settings = RunSettings.from_env(_settings_environment())
    logger.info(
        "Run manager: %d worker process(es), %d run(s) at once, %d MB budget, %d TF thread(s) per worker",
        settings.workers,
        settings.max_running,
        settings.memory_budget // 2**20,
        settings.tf_threads,
    )
    manager = RunManager(settings, is_alive=_session_alive)
    if manager.cluster is not None:
        logger.info("Training on the Dask cluster at %s (%d run(s) at once)", settings.scheduler, manager.max_running)
    atexit.register(manager.close)
    _current[:] = [manager]
    return manager


_quiet_threads: set[int] = set()  # threads rebuilding a queued run's data right now


class _NoContextWarningWhileRebuilding(logging.Filter):
    """A queued run's data is rebuilt at dispatch on the run manager's thread, outside any script run:
    Streamlit's cached loaders then warn "missing ScriptRunContext" (harmless). Drop only those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.thread in _quiet_threads and "missing ScriptRunContext" in str(record.msg))


logging.getLogger(streamlit_internals.NO_CONTEXT_LOGGER).addFilter(_NoContextWarningWhileRebuilding())


def rebuild_quietly(start: Callable[[], T]) -> Callable[[], T]:
    """`start` for RunManager.submit's `rebuild`: the same call, without Streamlit's no-context warnings."""

    def rebuild() -> T:
        ident = threading.get_ident()
        _quiet_threads.add(ident)
        try:
            return start()
        finally:
            _quiet_threads.discard(ident)

    return rebuild


def existing_manager() -> RunManager | None:
    """The server's run manager if one has been started (nothing is started by asking)."""
    return _current[0] if _current else None


def client_address() -> str:
    """The visitor's address (the queue's per-client share); "" where Streamlit can't tell (AppTest)."""
    try:
        return str(st.context.ip_address or "")
    except Exception:  # no script run context
        return ""


def session_id() -> str:
    """This browser session's id for the run manager (stable across reruns and pages)."""
    sid = st.session_state.get(_SESSION_KEY)
    if sid is None:
        sid = st.session_state[_SESSION_KEY] = new_session_id()
    streamlit_id = streamlit_internals.streamlit_session_id()
    if streamlit_id is not None:
        with _ids_lock:
            _streamlit_ids[sid] = streamlit_id
    return sid
