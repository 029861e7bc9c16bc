"""Presenter mode and the layout for small screens: one switch for the room's projector, CSS for phones.

Presenter mode is a toggle at the top of every page and a link parameter (`?present=1`), so the
teacher's slide link opens in it. It hides the sidebar (the controls), enlarges every chart's text
and marks (axis labels 20 px, titles 24 px), and colours attention heatmaps relative to each row's
largest weight, so a diffuse heatmap is still readable from the back row. After a run it puts the run's main
chart and the open guided experiment's verdict first, right under the page's title and before the intro and the
controls: a page draws its title with `title(...)`, which holds a place under it, and draws those items inside
`stage()`, which is that place when presenting and where they always go otherwise. The phone layout needs no
switch: a chart wider than the screen is scaled down to fit instead of the page scrolling sideways,
headings shrink, and tables keep their first columns (the answers) in view.

Keyboard users get a "Skip to Train" link as the first thing Tab reaches on a page with a training panel: the
sidebar's controls come before the page in the document, so without it Train is 20-46 Tab presses away. The link
is added once per browser tab by a small script (st.html with JavaScript, a public API), shown only while it has
focus, hidden on pages without a Train button, and moves focus to the first visible Train button.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

PARAM = "present"
STATE_KEY = "presenter:on"
STAGE_KEY = "presenter:stage"  # this run's place under the page title, for the run's main chart and verdict
AXIS_LABEL_PX, AXIS_TITLE_PX, TITLE_PX, LEGEND_PX = 20, 22, 24, 20
ROOM_CONFIG = {
    "axis": {"labelFontSize": AXIS_LABEL_PX, "titleFontSize": AXIS_TITLE_PX},
    "legend": {"labelFontSize": LEGEND_PX, "titleFontSize": LEGEND_PX, "symbolSize": 220, "titleLimit": 640},
    "title": {"fontSize": TITLE_PX},
    "line": {"strokeWidth": 3.5},
    "point": {"size": 90},
}
ROOM_CHROME_PX = 90  # more height for a fixed-height chart's larger title, axis text and legend (else it is clipped)
ROOM_STEP_PX = 26  # a banded axis (a heatmap's rows and columns) gets at least this many pixels per band: room for
# AXIS_LABEL_PX labels, which a chart's own smaller axis font would otherwise keep below the room's size


BASE_CSS = """
<style>
/* Phones: no page scrolls sideways; a chart wider than the screen (a long heatmap) is scaled down to fit. */
[data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] .vega-embed { max-width: 100%; }
[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks {
  max-width: 100% !important; height: auto !important;
}
@media (max-width: 480px) {
  h1 { font-size: 1.55rem !important; line-height: 1.25 !important; }
  h2 { font-size: 1.25rem !important; }
  [data-testid="stMainBlockContainer"], .block-container { padding-left: 0.75rem; padding-right: 0.75rem; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
  [data-testid="stDataFrame"] { max-width: 100%; }
}
</style>
"""
SKIP_CSS = """
<style>
.rnn-skip-train { position: fixed; left: 0.5rem; top: -5rem; z-index: 1000100; padding: 0.5rem 1rem;
  background: #0072B2; color: #ffffff !important; border-radius: 0.25rem; font-weight: 600; }
.rnn-skip-train:focus { top: 0.5rem; }
.st-key-presenter-scripts { display: none; }
</style>
"""
# The Train button of a training panel sits in an element keyed "<panel>:train" (class st-key-<panel>-train);
# while a run trains it is disabled, so the link moves to the next enabled button of that row (Stop).
SKIP_SCRIPT = """
<script>
(() => {
  if (window.rnnSkipToTrain) return;
  const link = document.createElement("a");
  window.rnnSkipToTrain = link;
  link.href = "#rnn-train";
  link.className = "rnn-skip-train";
  link.textContent = "Skip to Train";
  link.hidden = true;
  const trainBox = () => [...document.querySelectorAll('[data-testid="stMain"] [class*="st-key-"]')].find(
    (el) => [...el.classList].some((c) => /^st-key-.+-train$/.test(c)) && el.getClientRects().length > 0
      && el.querySelector('[data-testid="stButton"] button'));
  const target = () => {
    const box = trainBox();
    if (!box) return null;
    const row = box.closest('[data-testid="stHorizontalBlock"]') || box;
    const buttons = [...row.querySelectorAll('[data-testid="stButton"] button')];
    return buttons.find((b) => !b.disabled) || box.querySelector("button");
  };
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const button = target();
    if (!button) return;
    button.scrollIntoView({ block: "center" });
    button.focus();
  });
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; link.hidden = !trainBox(); });
  }).observe(document.body, { childList: true, subtree: true });
  document.body.prepend(link);
  link.hidden = !trainBox();
})();
</script>
"""
PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
html { font-size: 20px; }
[data-testid="stCaptionContainer"] { font-size: 1rem !important; }
</style>
"""


def _from_link() -> bool:
    return st.query_params.get(PARAM, "") in ("1", "true", "yes")


def _sync_link() -> None:
    if st.session_state.get(STATE_KEY):
        st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def presenting() -> bool:
    """Whether this session shows the page in presenter mode."""
    return bool(st.session_state.get(STATE_KEY, False))


def setup() -> None:
    """Once per page run, before the page: the stylesheet, and the presenter toggle (set from the link)."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = _from_link()
    st.session_state[STAGE_KEY] = None  # a page that draws its title with title() holds a new one
    st.html(BASE_CSS + SKIP_CSS + (PRESENTER_CSS if presenting() else ""))
    with st.container(key="presenter-scripts"):  # hidden; the script only adds the skip link
        st.html(SKIP_SCRIPT, unsafe_allow_javascript=True)
    st.toggle(
        "Presenter mode",
        key=STATE_KEY,
        on_change=_sync_link,
        help="For a projector: hides the controls, enlarges charts and their text. A link with ?present=1 "
        "opens a page this way.",
    )


def title(text: str) -> None:
    """The page's title; in presenter mode, with a place held under it for the current run's main chart and verdict
    (filled later in the same run through stage())."""
    st.title(text)
    if presenting():
        st.session_state[STAGE_KEY] = st.container()


def stage(here: Any = None) -> Any:
    """Where the current run's main chart or verdict goes: the place under the page's title when presenting, else
    `here` (a column, say) or a container where the page is: a Streamlit container either way. Only from a full
    page run, never from a fragment."""
    top = st.session_state.get(STAGE_KEY) if presenting() else None
    if top is not None:
        return top
    return here if here is not None else st.container()


def _parts(chart) -> list:
    """The chart and every view inside it (layers, concatenations, facets' inner chart)."""
    parts = [chart]
    for name in ("layer", "hconcat", "vconcat", "concat"):
        inner = getattr(chart, name, alt.Undefined)
        if isinstance(inner, list):
            parts += [part for view in inner for part in _parts(view)]
    spec = getattr(chart, "spec", alt.Undefined)
    if spec is not alt.Undefined and not isinstance(spec, dict):
        parts += _parts(spec)
    return parts


def _enlarge_own_sizes(chart) -> None:
    """Raise a chart's own axis font sizes (set on its axes, which the config cannot override) to the room's, and
    its band steps to ROOM_STEP_PX so the larger labels fit. Changes `chart` in place: give it a copy."""
    for part in _parts(chart):
        for channel in ("x", "y"):
            axis = _item(_item(part, "encoding"), channel, "axis")
            for name, px in (("labelFontSize", AXIS_LABEL_PX), ("titleFontSize", AXIS_TITLE_PX)):
                size = _item(axis, name)
                if isinstance(size, int | float) and size < px:
                    axis[name] = px
        for name in ("width", "height"):
            step = _item(part, name)
            if isinstance(_item(step, "step"), int | float) and step["step"] < ROOM_STEP_PX:
                step["step"] = ROOM_STEP_PX


def _item(obj, *path: str):
    """obj[path[0]][path[1]]... for Altair schema objects and dicts; alt.Undefined where a step is missing."""
    for name in path:
        if not isinstance(obj, alt.SchemaBase | dict):
            return alt.Undefined
        try:
            obj = obj[name]
        except KeyError:
            return alt.Undefined
    return obj if isinstance(obj, alt.SchemaBase | dict | int | float | str) else alt.Undefined


def for_room(chart):
    """The chart as presenter mode shows it (larger text and marks, axis labels >= AXIS_LABEL_PX even where the chart
    sets its own); unchanged otherwise."""
    if not presenting():
        return chart
    chart = chart.copy(deep=True)
    _enlarge_own_sizes(chart)
    return (
        chart.configure_axis(**ROOM_CONFIG["axis"])
        .configure_legend(**ROOM_CONFIG["legend"])
        .configure_title(**ROOM_CONFIG["title"])
        .configure_line(**ROOM_CONFIG["line"])
        .configure_point(**ROOM_CONFIG["point"])
    )


def spec_for_room(spec: dict) -> dict:
    """A chart spec (a dict shared by every session watching a run) as presenter mode shows it: a copy with the
    larger sizes merged into its config; the shared spec is never changed."""
    if not presenting():
        return spec
    config = {**spec.get("config", {})}
    for part, sizes in ROOM_CONFIG.items():
        config[part] = {**config.get(part, {}), **sizes}
    return {**spec, "config": config}


def chart_height(height: int) -> int:
    """A fixed chart height (its plot and text), with room for presenter mode's larger text when presenting."""
    return height + ROOM_CHROME_PX if presenting() else height


def heatmap_scale() -> str:
    """How attention heatmaps are coloured: relative to each row's largest weight when presenting."""
    return "row" if presenting() else "weight"
