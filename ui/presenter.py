"""Presenter mode and the layout for small screens: one switch for the room's projector, CSS for phones.

Presenter mode is a toggle at the top of every page and a link parameter (`?present=1`), so the
teacher's slide link opens in it. It hides the sidebar (the controls), enlarges every chart's text
and marks (axis labels 20 px, titles 24 px), and colours attention heatmaps relative to each row's
largest weight, so a diffuse heatmap is still readable from the back row. The phone layout needs no
switch: a chart wider than the screen is scaled down to fit instead of the page scrolling sideways,
headings shrink, and tables keep their first columns (the answers) in view.
"""

from __future__ import annotations

import streamlit as st

PARAM = "present"
STATE_KEY = "presenter:on"
AXIS_LABEL_PX, AXIS_TITLE_PX, TITLE_PX, LEGEND_PX = 20, 22, 24, 20
ROOM_CONFIG = {
    "axis": {"labelFontSize": AXIS_LABEL_PX, "titleFontSize": AXIS_TITLE_PX},
    "legend": {"labelFontSize": LEGEND_PX, "titleFontSize": LEGEND_PX, "symbolSize": 220},
    "title": {"fontSize": TITLE_PX},
    "line": {"strokeWidth": 3.5},
    "point": {"size": 90},
}


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
    st.html(BASE_CSS + (PRESENTER_CSS if presenting() else ""))
    st.toggle(
        "Presenter mode",
        key=STATE_KEY,
        on_change=_sync_link,
        help="For a projector: hides the controls, enlarges charts and their text. A link with ?present=1 "
        "opens a page this way.",
    )


def for_room(chart):
    """The chart as presenter mode shows it (larger text and marks); unchanged otherwise."""
    if not presenting():
        return chart
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


def heatmap_scale() -> str:
    """How attention heatmaps are coloured: relative to each row's largest weight when presenting."""
    return "row" if presenting() else "weight"
