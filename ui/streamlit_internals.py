"""Every use of a private Streamlit name, behind one door, checked when the server starts.

Streamlit's public API does not cover four things the app needs; each is reached here and nowhere else
(tests/unit/test_streamlit_internals.py greps the rest of the code for these names):

- no Keras clear_session() after every script run: `script_runner._clean_problem_modules` replaced.
  If it moved: Streamlit keeps clearing Keras (more server CPU, same pages).
- is a browser session still connected: `Runtime.instance().is_active_session`.
  If it moved: "nobody can tell", a closed tab leaves the queue when its page stops polling (seconds later).
- which session / fragment is this script run: `get_script_run_ctx()`, `ctx.session_id`,
  `ctx.fragment_ids_this_run`. If it moved: every rerun counts as a fragment rerun (at most one extra redraw).
- a widget call says what it accepts (experiment links): `DeltaGenerator.<widget>` wrapped, `st.<widget>`
  rebound. If it moved: links open on the page's defaults and say so in a notice.

`startup()` (app.py, every run; the work happens once per process) applies the replacement and runs
`self_check()`, which logs one clear line per internal that moved and never raises.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import streamlit as st

_LOG = logging.getLogger(__name__)
# The logger of Streamlit's "missing ScriptRunContext" warning (a module path, so private): ui/runs.py filters
# that one warning on the run manager's thread. If Streamlit moves it, the filter sits on an unused logger and
# the harmless warning shows again: a log line, never a failure.
NO_CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"

try:  # the script-run context: where this thread's session and fragment are
    from streamlit.runtime.scriptrunner import get_script_run_ctx as _get_ctx
except ImportError:  # moved: behave as off a script thread
    _get_ctx = None
try:
    from streamlit.runtime import Runtime as _Runtime
except ImportError:
    _Runtime = None
try:
    from streamlit.runtime.scriptrunner import script_runner as _script_runner
except ImportError:
    _script_runner = None
try:
    from streamlit.delta_generator import DeltaGenerator as _DeltaGenerator
except ImportError:
    _DeltaGenerator = None
try:
    from streamlit.runtime.scriptrunner import ScriptRunContext as _ScriptRunContext
except ImportError:
    _ScriptRunContext = None

_started = False
_logged: set[str] = set()


@dataclass(frozen=True)
class Check:
    name: str  # the internal
    ok: bool
    fallback: str  # what the app does instead when it is not ok


# ----------------------------------------------------------------------------- the four doors


def script_ctx():
    """The current script run's context, or None off a script thread (or if Streamlit moved it)."""
    if _get_ctx is None:
        return None
    try:
        return _get_ctx(suppress_warning=True)
    except Exception:  # a changed signature
        _log_once("get_script_run_ctx", "get_script_run_ctx() failed; treating this thread as no script run")
        return None


def in_script_run() -> bool:
    return script_ctx() is not None


def streamlit_session_id() -> str | None:
    """Streamlit's id of the browser session running this script (None off a script thread)."""
    return getattr(script_ctx(), "session_id", None)


def in_fragment_rerun() -> bool:
    """True while Streamlit reruns only a fragment. Fallback when the attribute moved: True (a fragment that
    asks then reruns the whole page once more than needed, never misses the rerun it needed)."""
    ctx = script_ctx()
    if ctx is None:
        return False
    if not hasattr(ctx, "fragment_ids_this_run"):
        _log_once("fragment_ids_this_run", _fallback_line("ctx.fragment_ids_this_run", FALLBACKS["fragment"]))
        return True
    return bool(ctx.fragment_ids_this_run)


def session_connected(streamlit_id: str) -> bool | None:
    """Whether the browser session is still connected; None where nobody can tell (AppTest, or moved)."""
    if _Runtime is None or not hasattr(_Runtime, "exists") or not _Runtime.exists():
        return None
    try:
        return bool(_Runtime.instance().is_active_session(streamlit_id))
    except AttributeError:
        _log_once("is_active_session", _fallback_line("Runtime.is_active_session", FALLBACKS["alive"]))
        return None
    except Exception:  # a runtime shutting down
        return None


def close_matplotlib_only() -> None:
    """Streamlit's per-run clean-up without its Keras part (training runs in worker processes)."""
    if "matplotlib.pyplot" in sys.modules:
        try:
            sys.modules["matplotlib.pyplot"].close("all")
        except Exception:  # as Streamlit's own clean-up: never break a page for it
            _LOG.debug("Could not close matplotlib figures", exc_info=True)


def keep_keras_session() -> bool:
    """Stop Streamlit clearing Keras' session after every script run of every session (True when done).

    Streamlit does that (`_clean_problem_modules`: `keras.backend.clear_session()`, which also runs the
    garbage collector) for apps that train inside the script. Here training runs in worker processes; the
    server holds Keras only to use finished models, so the clean-up protects nothing and, with thirty
    sessions redrawing live charts once a second, it saturated the server's CPU (the classroom bench
    measured it). Matplotlib's part of the clean-up is kept.
    """
    if _script_runner is None or not callable(getattr(_script_runner, "_clean_problem_modules", None)):
        return False
    _script_runner._clean_problem_modules = close_matplotlib_only
    return True


def wrap_widget_calls(kinds: Iterable[str], wrap: Callable[[str, Callable], Callable], marker: str) -> list[str]:
    """Replace DeltaGenerator.<kind> by wrap(kind, original) for every kind (st.<kind>, st.sidebar.<kind>,
    columns, expanders); returns the kinds that could not be wrapped (logged once). `marker` is the attribute
    a wrapper carries, so a second call wraps nothing twice."""
    if _DeltaGenerator is None:
        missing = list(kinds)
    else:
        missing = [kind for kind in kinds if not _wrap_one(kind, wrap, marker)]
    if missing:
        _log_once("widgets", _fallback_line(f"DeltaGenerator.{'/'.join(missing)}", FALLBACKS["widgets"]))
    return missing


def _wrap_one(kind: str, wrap: Callable[[str, Callable], Callable], marker: str) -> bool:
    original = getattr(_DeltaGenerator, kind, None)
    if not callable(original):
        return False
    if getattr(original, marker, False):
        return True
    wrapped = wrap(kind, original)
    setattr(_DeltaGenerator, kind, wrapped)
    owner = getattr(getattr(st, kind, None), "__self__", None)
    if isinstance(owner, _DeltaGenerator):
        setattr(st, kind, wrapped.__get__(owner))
    return True


# ----------------------------------------------------------------------------- start-up self-check

FALLBACKS = {
    "clean": "Streamlit may clear Keras' session after every script run (more server CPU, same pages)",
    "alive": "closed tabs leave the run queue when their page stops polling, a few seconds later",
    "ctx": "session ids come from session state only; closed tabs are noticed by polling",
    "fragment": "every rerun counts as a fragment rerun (at most one extra full redraw)",
    "widgets": "experiment links open on the page's defaults and say so; the copy box shows what the page drew",
}


def self_check(kinds: Iterable[str] = ()) -> list[Check]:
    """Is every internal where this module expects it? One log line per one that is not; never raises."""
    clean = getattr(_script_runner, "_clean_problem_modules", None)
    runner = getattr(_script_runner, "ScriptRunner", None)
    called = runner is not None and "_clean_problem_modules" in _source(runner)
    checks = [
        Check("script_runner._clean_problem_modules (called by ScriptRunner)", callable(clean) and called,
              FALLBACKS["clean"]),
        Check("Runtime.is_active_session", _Runtime is not None and hasattr(_Runtime, "is_active_session"),
              FALLBACKS["alive"]),
        Check("get_script_run_ctx", _get_ctx is not None, FALLBACKS["ctx"]),
        Check("ScriptRunContext.fragment_ids_this_run", _ctx_has("fragment_ids_this_run"), FALLBACKS["fragment"]),
        Check("ScriptRunContext.session_id", _ctx_has("session_id"), FALLBACKS["ctx"]),
    ]
    checks += [
        Check(f"DeltaGenerator.{kind}", _DeltaGenerator is not None and callable(getattr(_DeltaGenerator, kind, None)),
              FALLBACKS["widgets"])
        for kind in kinds
    ]
    for check in checks:
        if not check.ok:
            _log_once(check.name, _fallback_line(check.name, check.fallback))
    return checks


def startup(kinds: Iterable[str] = ()) -> None:
    """Once per process: the self-check, then the Keras replacement."""
    global _started
    if _started:
        return
    _started = True
    try:
        self_check(kinds)
        keep_keras_session()
    except Exception:  # never let a check break the server
        _LOG.warning("Streamlit internals: the start-up self-check failed", exc_info=True)


def _ctx_has(attribute: str) -> bool:
    fields = getattr(_ScriptRunContext, "__dataclass_fields__", {})
    return attribute in fields or hasattr(_ScriptRunContext, attribute)


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _fallback_line(name: str, fallback: str) -> str:
    version = getattr(st, "__version__", "?")
    return f"Streamlit {version}: internal {name} is not where RNN Playground expects it; fallback: {fallback}"


def _log_once(key: str, line: str) -> None:
    if key not in _logged:
        _logged.add(key)
        _LOG.warning(line)


def reset_for_tests() -> None:
    """Forget what was logged and started (tests only)."""
    global _started
    _started = False
    _logged.clear()


__all__ = [
    "Check",
    "close_matplotlib_only",
    "in_fragment_rerun",
    "in_script_run",
    "keep_keras_session",
    "script_ctx",
    "self_check",
    "session_connected",
    "startup",
    "streamlit_session_id",
    "wrap_widget_calls",
]
