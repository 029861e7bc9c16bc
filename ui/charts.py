"""One way to draw an Altair chart, used by every page and by the training panel."""

from __future__ import annotations

import contextlib
from typing import Literal

import altair as alt
import streamlit as st

from core.engine.charts import LEGEND_ROOM
from ui import presenter

CHART_CHROME = 90  # pixels for a chart's title, axis labels and axis title, on top of its plot height
COUNTER_KEY = "charts:drawn"  # title -> charts with that title drawn so far in this run (download keys)


def _title_text(chart) -> str:
    title = getattr(chart, "title", alt.Undefined)
    if isinstance(title, str):
        return title
    text = getattr(title, "text", "")
    return text if isinstance(text, str) else ""


def _encoding(chart):
    """The chart's encoding, or its first layer's (a layered chart keeps its encodings in the layers)."""
    encoding = getattr(chart, "encoding", alt.Undefined)
    if encoding is alt.Undefined and getattr(chart, "layer", alt.Undefined) is not alt.Undefined:
        encoding = getattr(chart.layer[0], "encoding", alt.Undefined)
    return encoding


def describe(chart) -> str:
    """A one-line text alternative for a chart without one: its title and what its axes show.

    Reads the Altair objects directly (no serialisation: it runs for every chart on every rerun)."""
    encoding = _encoding(chart)
    axes = []
    for channel in ("x", "y", "color"):
        spec = getattr(encoding, channel, alt.Undefined) if encoding is not alt.Undefined else alt.Undefined
        if spec is alt.Undefined:
            continue
        try:  # one channel's dict: cheap, unlike the whole chart's
            fields = spec.to_dict(validate=False) if hasattr(spec, "to_dict") else {"field": str(spec).split(":")[0]}
        except (TypeError, ValueError):
            continue
        name = fields.get("title") or fields.get("field")
        if isinstance(name, str) and name:
            axes.append(f"{'colour' if channel == 'color' else channel}: {name}")
    text = _title_text(chart)
    words = f"Chart: {text}" if text else "Chart"
    return f"{words} ({'; '.join(axes)})" if axes else words


def draw_chart(
    chart,
    *,
    width: Literal["stretch", "content"] = "stretch",
    height: int | None = None,
    live: bool = False,
    description: str | None = None,
) -> None:
    """Draw an Altair chart, with a text alternative and presenter mode's sizes.

    live=True is for charts redrawn every second while training: the spec is not validated
    against the Vega-Lite schema again (a few hundred milliseconds each time on a busy 2-core
    host - CPU the training needs). A chart with a fixed plot height gets that height plus
    room for its title and axes, so it is never clipped. `description` (or, without one, the
    chart's title and axes) becomes the chart's accessible description, read by screen readers.
    """
    if description or getattr(chart, "description", alt.Undefined) is alt.Undefined:
        with contextlib.suppress(AttributeError, TypeError, ValueError):  # a chart kind without properties
            chart = chart.properties(description=description or describe(chart))
    chart = presenter.for_room(chart)
    _draw(chart, width, height, live)
    if not live:
        download_button(chart)


def chart_svg(spec: dict) -> bytes:
    """The chart as an SVG file, drawn on the server by vl-convert (the Vega-Lite compiler Altair's `save` uses)."""
    import vl_convert  # imported on the first download only (a few MB, ~2 s the first time)

    return vl_convert.vegalite_to_svg(spec).encode("utf-8")


def new_run() -> None:
    """Called once at the start of every script run (app.py): download keys count from one again."""
    st.session_state[COUNTER_KEY] = {}


def download_button(chart) -> None:
    """A visible 'Download chart (SVG)' button under a chart: touch screens cannot reach the hover menu. The
    chart is serialised and drawn as SVG only when pressed (deferred data), so an unpressed button costs nothing."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in _title_text(chart).lower()).strip("-")[:40] or "chart"
    seen: dict = st.session_state.setdefault(COUNTER_KEY, {})
    seen[slug] = seen.get(slug, 0) + 1
    st.download_button(
        "Download chart (SVG)",
        data=lambda: chart_svg(chart.to_dict(validate=False)),
        file_name=f"{slug}.svg",
        mime="image/svg+xml",
        key=f"chart-download-{slug}-{seen[slug]}",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
    )


def legend_px(chart) -> int:
    """Pixels a chart's (or a chart spec's) legends below its plot need (core.engine.charts.legend_room), 0
    without any."""
    meta = chart.get("usermeta") if isinstance(chart, dict) else getattr(chart, "usermeta", None)
    px = meta.get(LEGEND_ROOM, 0) if isinstance(meta, dict) else 0
    return int(px) if isinstance(px, int | float) else 0


def chart_height(chart) -> int | None:
    """A chart's fixed height on screen: its plot height, CHART_CHROME for title and axes, and room for a
    legend below it (a fixed height is shared out by Vega: without the room, the legend squeezes the plot)."""
    plot_height = getattr(chart, "height", None)
    if not isinstance(plot_height, int | float):
        return None
    return int(plot_height) + CHART_CHROME + legend_px(chart)


def _draw(chart, width, height, live: bool) -> None:
    if height is None:
        height = chart_height(chart)
    height = None if height is None else presenter.chart_height(height)  # presenter mode's larger text fits
    if live:
        st.vega_lite_chart(spec=chart.to_dict(validate=False), width=width, height=height)
    elif height is None:
        st.altair_chart(chart, width=width)
    else:
        st.altair_chart(chart, width=width, height=height)
