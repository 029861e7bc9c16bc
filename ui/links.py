"""A link is an experiment: every page's controls round-trip through the URL's query parameters.

A page calls `restore(KEY)` before drawing any widget and `publish(KEY)` after the last one
(which also shows "Copy link to this experiment"). In between, widgets keep their own keys and defaults:
`install()` wraps Streamlit's widget calls once per process so that, for a widget whose key
belongs to the page running now, the call itself says what the control accepts (options,
bounds, text cap -> core.engine.links.Spec). On a session's first run of the page, a link
value waiting for that widget is checked against that spec and put into st.session_state
just before the widget is created (which Streamlit allows); at the end of every run the
page's widget values are written back to st.query_params under short names.

Nothing a link carries can raise: bad values are clamped or dropped and listed in one notice.
Local-path fields, uploads, text areas and long text never go into a link.
"""

from __future__ import annotations

import functools
import inspect
import logging
from calendar import isleap
from collections.abc import Callable, KeysView, Sequence
from datetime import date, datetime
from urllib.parse import urlencode

import streamlit as st

from core.engine.links import (
    APP_PARAMS,
    DROP,
    LINKED_KINDS,
    MAX_TEXT_CHARS,
    PAGE_PARAM,
    Spec,
    decode,
    encode,
    notice,
    param_name,
    screen,
)
from ui import streamlit_internals

_LOG = logging.getLogger(__name__)
_PREFIX = "_links"
_ACTIVE = f"{_PREFIX}:page"  # the page whose script is running in this session
_SEEN = f"{_PREFIX}:seen"  # {widget key: (param name, Spec)} drawn in this run
_SLOT = f"{_PREFIX}:slot"  # where this run's notice goes (top of the page)
# Parameter names each page has drawn at least once in this process: a link naming one of
# them waits quietly until the control appears (a result view shown after training).
_KNOWN: dict[str, set[str]] = {}
_installed = False
# A link may name a guided experiment (ui/experiments.py): not a control, so it is taken out before the
# controls are read and kept for the page's experiments section; `extra_params` sources add it back.
EXPERIMENT_PARAM = "experiment"
_EXTRA: list[Callable[[str, dict[str, str]], dict[str, str]]] = []
_unwrapped: frozenset[str] = frozenset()  # widget kinds Streamlit would not let us wrap

WRAPPED = tuple(sorted(LINKED_KINDS))  # the Streamlit widget calls that carry a linked value


# ----------------------------------------------------------------------------- specs from widget calls


def _options(value) -> tuple | None:
    if isinstance(value, Sequence | KeysView) and not isinstance(value, str):
        return tuple(value)
    return None


def _number_spec(kind: str, args: dict) -> Spec | None:
    lo, hi, value = args.get("min_value"), args.get("max_value"), args.get("value")
    if isinstance(value, str):  # number_input's value="min"
        value = lo
    numbers = [v for v in (lo, hi, value, args.get("step")) if v is not None]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
        return None  # range sliders, dates and times on a slider: not linked
    integer = bool(numbers) and all(isinstance(v, int) for v in numbers)
    if kind == "slider":
        lo = lo if lo is not None else (0 if integer else 0.0)
        hi = hi if hi is not None else (100 if integer else 1.0)
        step = args.get("step") or (1 if integer else 0.01)  # Streamlit's default steps
        return Spec(kind, lo=lo, hi=hi, integer=integer, step=step)
    return Spec(kind, lo=lo, hi=hi, integer=integer)


def years_from(day: date, years: int) -> date:
    """`day` moved by whole years (a date_input's default bounds are ten years either side), clamped to the
    calendar; 29 February becomes 28 February in a year without one."""
    year = day.year + years
    if not date.min.year <= year <= date.max.year:
        return date.max if years > 0 else date.min
    leap_day = (day.month, day.day) == (2, 29) and not isleap(year)
    return day.replace(year=year, day=28) if leap_day else day.replace(year=year)


def _date_spec(args: dict) -> Spec | None:
    value = args.get("value", "today")
    value = date.today() if value in ("today", None) else value
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return None  # ranges are not linked
    lo, hi = args.get("min_value"), args.get("max_value")
    lo = lo.date() if isinstance(lo, datetime) else lo if isinstance(lo, date) else years_from(value, -10)
    hi = hi.date() if isinstance(hi, datetime) else hi if isinstance(hi, date) else years_from(value, 10)
    return Spec("date_input", lo=lo, hi=hi)


def spec_of(kind: str, args: dict) -> Spec | None:
    """What the widget call with these (bound) arguments accepts; None when it is not linked."""
    if kind in ("slider", "number_input"):
        return _number_spec(kind, args)
    if kind in ("toggle", "checkbox"):
        return Spec(kind)
    if kind == "text_input":
        if args.get("type") == "password":
            return None
        return Spec(kind, max_chars=min(args.get("max_chars") or MAX_TEXT_CHARS, MAX_TEXT_CHARS))
    if kind == "date_input":
        return _date_spec(args)
    options = _options(args.get("tabs") if kind == "tabs" else args.get("options"))
    if options is None:
        return None
    return Spec(kind, options=options, max_selections=args.get("max_selections"))


# ----------------------------------------------------------------------------- the wrapper


def _before_widget(kind: str, signature: inspect.Signature, dg, args, kwargs) -> None:
    """Record a page's widget and, on the page's first run, hand it the value its link carries."""
    key = kwargs.get("key")
    if key is None:
        bound = signature.bind_partial(dg, *args, **kwargs)
        key = bound.arguments.get("key")
    state = st.session_state
    page = state.get(_ACTIVE)
    if not isinstance(key, str) or page is None:
        return
    name = param_name(page, key)
    if name is None:
        return
    bound = signature.bind_partial(dg, *args, **kwargs)
    spec = spec_of(kind, dict(bound.arguments))
    if spec is None:
        return
    state.setdefault(_SEEN, {})[key] = (name, spec)
    _KNOWN.setdefault(page, set()).add(name)
    pending: dict = state.get(f"{_PREFIX}:{page}:pending") or {}
    if name not in pending:
        return
    text = pending.pop(name)
    value, note = decode(spec, text)
    if note:
        state[f"{_PREFIX}:{page}:notes"].append(f"{name}={text[:20]} ({note})")
    if value is not DROP:
        state[key] = value


def _wrap(kind: str, original):
    signature = inspect.signature(original)

    @functools.wraps(original)
    def widget(self, *args, **kwargs):
        try:
            _before_widget(kind, signature, self, args, kwargs)
        except Exception:  # a link must never break a page: the widget is drawn as if there were none
            _LOG.warning("experiment link: could not restore a %s", kind, exc_info=True)
        return original(self, *args, **kwargs)

    widget._links_wrapped = True  # type: ignore[attr-defined]
    return widget


def install() -> None:
    """Wrap the widget calls once per process (st.<widget>, st.sidebar.<widget>, columns, expanders), through
    ui/streamlit_internals.py; a widget kind that cannot be wrapped is logged there and its links fall back."""
    global _installed, _unwrapped
    if _installed:
        return
    _unwrapped = frozenset(streamlit_internals.wrap_widget_calls(WRAPPED, _wrap, "_links_wrapped"))
    _installed = True


# ----------------------------------------------------------------------------- the page's three calls


def restore(page_key: str) -> None:
    """Call before the page's first widget. On the session's first run of the page, read its link."""
    install()
    state = st.session_state
    state[_ACTIVE] = page_key
    state[_SEEN] = {}
    opened = f"{_PREFIX}:{page_key}:opened"
    if opened not in state:
        state[opened] = True
        raw = {name: st.query_params.get(name, "") for name in list(st.query_params.keys())[:1000]}
        experiment = raw.pop(EXPERIMENT_PARAM, "")
        kept, notes = screen(page_key, raw)
        if experiment and raw.get(PAGE_PARAM, page_key) == page_key:  # not a link made for another page
            state[f"{_PREFIX}:{page_key}:experiment"] = experiment[:10]
        if kept and _unwrapped:  # Streamlit moved its widget calls: say so rather than drop the link silently
            notes.append("this server's Streamlit version lets a link set no control: the page opened on its defaults")
        state[f"{_PREFIX}:{page_key}:pending"] = kept
        state[f"{_PREFIX}:{page_key}:notes"] = notes
        state[f"{_PREFIX}:{page_key}:first"] = True
    # The notice about a link's unusable settings goes at the top of the page, filled by publish().
    linked = state[f"{_PREFIX}:{page_key}:pending"] or state[f"{_PREFIX}:{page_key}:notes"]
    state[_SLOT] = st.empty() if linked else None


def linked_experiment(page_key: str) -> str:
    """The experiment the link this session opened the page with names ("" when none); asked once."""
    return str(st.session_state.pop(f"{_PREFIX}:{page_key}:experiment", ""))


def extra_params(source: Callable[[str, dict[str, str]], dict[str, str]]) -> None:
    """Register `source(page_key, control_params) -> more params` (the experiment the controls are set for)."""
    if source not in _EXTRA:
        _EXTRA.append(source)


def current_params(page_key: str) -> dict[str, str]:
    """The query parameters that describe the page's controls as drawn in this run (and its experiment)."""
    state = st.session_state
    params = {PAGE_PARAM: page_key}
    for key, (name, spec) in state.get(_SEEN, {}).items():
        if key in state:
            text = encode(spec, state[key])
            if text is not None:
                params[name] = text
    for source in _EXTRA:
        try:
            params.update(source(page_key, dict(params)))
        except Exception:  # a link must never break a page
            _LOG.warning("experiment link: an extra parameter failed", exc_info=True)
    return params


def publish(page_key: str) -> None:
    """Call after the page's last widget: write its controls to the URL, say what a link could not set,
    and show the link to copy."""
    state = st.session_state
    if state.get(_ACTIVE) != page_key:
        return
    if state.pop(f"{_PREFIX}:{page_key}:first", False):
        pending: dict = state.get(f"{_PREFIX}:{page_key}:pending") or {}
        notes = state[f"{_PREFIX}:{page_key}:notes"]
        # Names not drawn yet stay pending for the session: a result view's control (drawn after
        # training) takes its value when it appears. Names this page has never drawn are reported.
        notes += [f"{n[:30]} (no such control on this page yet)" for n in pending if n not in _KNOWN.get(page_key, ())]
    notes = state.get(f"{_PREFIX}:{page_key}:notes")
    if notes:
        (state.get(_SLOT) or st).info(notice(notes), icon=":material/link_off:")
    params = current_params(page_key)
    params |= {name: value for name, value in st.query_params.to_dict().items() if name in APP_PARAMS}
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    copy_link(page_key)


def link_url(page_key: str) -> str:
    """The full address of this experiment (host from the browser; a relative one in tests)."""
    base = st.context.url or ""
    return f"{base}?{urlencode(current_params(page_key))}"


def copy_link(page_key: str) -> None:
    """'Copy link to this experiment': the address in a code box (its copy button puts it on the clipboard)."""
    box = st.sidebar.container(key=f"{_PREFIX}-{page_key}-copy")
    box.markdown("**Copy link to this experiment**")
    box.code(link_url(page_key), language=None, wrap_lines=True)
    box.caption(
        "Opening it restores every control above (and the seed). It names only presets, tickers and built-in "
        "data, never a local path or an upload."
    )
