"""Experiment links: a page's controls as URL query parameters, and back. Plain Python.

A control is described by a `Spec` (its kind and what it accepts: options, bounds, a text
cap), taken from the widget call itself. `encode` turns a control's value into the short
string a link carries; `decode` turns a link's string back into a value the control accepts
- clamped into its bounds (which come from core.engine.limits), snapped to the nearest rung
of a numeric ladder or a slider's steps, or refused with a one-phrase reason. Nothing here raises on bad input.

A link only carries names the server knows (presets, tickers, built-in sources, numbers):
never a local path, an upload or free text longer than `MAX_TEXT_CHARS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

PAGE_PARAM = "page"  # which page a link was made on; a link for another page is ignored
# Parameters of the app, not of a page's controls: presenter mode, and the class a session is in (ui/rooms.py:
# its join code, the member's nickname, the teacher's secret on the teacher's own board). Never a setting, never
# in a copied experiment link, kept in the URL as they are.
APP_PARAMS = ("present", "room", "nickname", "teacher")
MAX_PARAMS = 100  # more query parameters than this: the rest are ignored
MAX_VALUE_CHARS = 200  # a longer value is ignored (a 10,000-character value never reaches a control)
MAX_TEXT_CHARS = 40  # short text fields only (a ticker); longer text never goes into a link
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
LINKED_KINDS = frozenset(
    {
        "slider",
        "select_slider",
        "selectbox",
        "radio",
        "number_input",
        "toggle",
        "checkbox",
        "text_input",
        "multiselect",
        "date_input",
        "tabs",
    }
)
# Controls that never go into a link: local paths on the server (and anything under them).
PRIVATE_SUFFIXES = (":local", ":accepted")
# Widgets about this session's own runs (the Compare runs section): they name runs that do not
# exist in another session, so they never go into a link.
SESSION_ONLY_PARTS = (":run_label:", ":compare_runs", ":compare_seen")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
DROP = object()  # decode's "no value"


@dataclass(frozen=True)
class Spec:
    """What a control accepts. `options` for choices (tabs: the labels); `lo`/`hi` for numbers and dates."""

    kind: str
    options: tuple = ()
    lo: Any = None
    hi: Any = None
    integer: bool = False
    max_chars: int = MAX_TEXT_CHARS
    max_selections: int | None = None
    step: float | None = None  # a slider's step: a link's number snaps to lo + k * step
    extra: dict = field(default_factory=dict, compare=False)


def param_name(page_key: str, widget_key: str) -> str | None:
    """The short query-parameter name of a page's widget key, or None when the key is not the page's.

    "sentiment:1:units" -> "1.units"; "gradient-lab-compare:lengths" -> "compare.lengths";
    "attention_imdb:preset" -> "imdb.preset". Local-path fields never get a name.
    """
    if not widget_key.startswith(page_key) or len(widget_key) == len(page_key):
        return None
    if widget_key[len(page_key)] not in ":-_" or widget_key.endswith(PRIVATE_SUFFIXES):
        return None
    if any(part in widget_key for part in SESSION_ONLY_PARTS):
        return None
    name = widget_key[len(page_key) :].lstrip(":-_").replace(":", ".")
    return name if NAME_PATTERN.match(name) else None


# ----------------------------------------------------------------------------- value <-> text


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else format(float(value), ".12g")


def encode_one(value: Any) -> str | None:
    """One option or value as link text; None for types a link does not carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return _number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return None


def encode(spec: Spec, value: Any) -> str | None:
    """The link text of a control's value; None when it must not (or cannot) go into a link."""
    if spec.kind == "tabs":
        return str(spec.options.index(value)) if value in spec.options else None
    if spec.kind == "multiselect":
        if not isinstance(value, list | tuple):
            return None
        parts = [encode_one(v) for v in value]
        if any(p is None or "," in p for p in parts):
            return None
        text = ",".join(parts)  # type: ignore[arg-type]
    else:
        text = encode_one(value)
    if text is None or len(text) > MAX_VALUE_CHARS:
        return None
    if spec.kind == "text_input" and len(text) > spec.max_chars:
        return None
    return text


def _parse_number(text: str, integer: bool) -> float | int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or (integer and not number.is_integer()):
        return None
    return int(number) if integer else number


def _clamp(value, lo, hi):
    if lo is not None and value < lo:
        return lo
    if hi is not None and value > hi:
        return hi
    return value


def _snap(number: float | int, spec: Spec) -> float | int:
    """`number` on the slider's grid lo + k * step (the nearest rung); unchanged without a step."""
    if not spec.step or spec.step <= 0:
        return number
    base = spec.lo if spec.lo is not None else 0
    rungs = round((number - base) / spec.step)
    snapped = base + rungs * spec.step
    return int(snapped) if spec.integer else round(float(snapped), 12)


def _choose(spec: Spec, text: str) -> tuple[Any, str]:
    """An option from its link text; numeric ladders snap to the nearest rung."""
    for option in spec.options:
        if encode_one(option) == text:
            return option, ""
    numeric = [o for o in spec.options if isinstance(o, int | float) and not isinstance(o, bool)]
    wanted = _parse_number(text, False)
    if spec.kind == "select_slider" and numeric and len(numeric) == len(spec.options) and wanted is not None:
        nearest = min(numeric, key=lambda o: abs(o - wanted))
        return nearest, f"clamped to {encode_one(nearest)}"
    return DROP, "not one of the choices"


def decode(spec: Spec, text: str) -> tuple[Any, str]:
    """(value, note): the value for the control, or DROP; note says what was clamped or why it was dropped."""
    if len(text) > MAX_VALUE_CHARS:
        return DROP, "value too long"
    kind = spec.kind
    if kind in ("selectbox", "radio", "select_slider"):
        return _choose(spec, text)
    if kind == "tabs":
        index = _parse_number(text, True)
        if index is None or not 0 <= index < len(spec.options):
            return DROP, "no such tab"
        return spec.options[int(index)], ""
    if kind in ("toggle", "checkbox"):
        low = text.lower()
        return (True, "") if low in TRUE else (False, "") if low in FALSE else (DROP, "not true/false")
    if kind in ("slider", "number_input"):
        number = _parse_number(text, spec.integer)
        if number is None:
            return DROP, "not a whole number" if spec.integer else "not a number"
        clamped = _clamp(_snap(number, spec), spec.lo, spec.hi)
        return clamped, "" if clamped == number else f"clamped to {_number_text(clamped)}"
    if kind == "text_input":
        if len(text) > spec.max_chars or not text.isprintable():
            return DROP, "text too long or not printable"
        return text, ""
    if kind == "multiselect":
        return _decode_many(spec, text)
    if kind == "date_input":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return DROP, "not a date (YYYY-MM-DD)"
        clamped = _clamp(day, spec.lo, spec.hi)
        return clamped, "" if clamped == day else f"clamped to {clamped.isoformat()}"
    return DROP, "not a linkable control"


def _decode_many(spec: Spec, text: str) -> tuple[Any, str]:
    chosen, refused = [], []
    for part in text.split(",") if text else []:
        option, _ = _choose(Spec("selectbox", spec.options), part)
        if option is DROP:
            refused.append(part[:20])
        elif option not in chosen:
            chosen.append(option)
    if spec.max_selections is not None and len(chosen) > spec.max_selections:
        chosen, refused = chosen[: spec.max_selections], [*refused, "more than allowed"]
    return chosen, f"ignored {', '.join(refused)}" if refused else ""


# ----------------------------------------------------------------------------- a whole link


def screen(page_key: str, params: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The well-formed parameters of a link for this page, and notes on the rest.

    A link made on another page (its `page` parameter names another page) is ignored whole;
    malformed names, over-long values and parameters beyond `MAX_PARAMS` are dropped.
    """
    notes: list[str] = []
    page = params.get(PAGE_PARAM)
    if page is not None and page != page_key:
        return {}, [f"the link was made for another page ({str(page)[:30]}), so none of its settings apply"]
    kept: dict[str, str] = {}
    for name, value in params.items():
        if name == PAGE_PARAM or name in APP_PARAMS:
            continue
        shown = name[:30] + ("…" if len(name) > 30 else "")
        if not NAME_PATTERN.match(name):
            notes.append(f"{shown} (not a setting name)")
        elif len(value) > MAX_VALUE_CHARS:
            notes.append(f"{shown} (value too long)")
        elif len(kept) >= MAX_PARAMS:
            notes.append(f"{shown} (too many settings)")
        else:
            kept[name] = value
    return kept, notes


def notice(notes: Sequence[str]) -> str:
    """The one line a page shows about a link's settings it could not use as given."""
    shown = list(notes[:12]) + ([f"and {len(notes) - 12} more"] if len(notes) > 12 else [])
    return "Some settings in this link were not used as given: " + "; ".join(shown) + "."
