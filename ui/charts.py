"""One way to draw an Altair chart, used by every page and by the training panel."""

from __future__ import annotations

import contextlib
from typing import Literal

import altair as alt
import streamlit as st

from ui import presenter

CHART_CHROME = 90  # pixels for a chart's title, axis labels and axis title, on top of its plot height


def describe(chart) -> str:
    """A one-line text alternative for a chart without one: its title and what its axes show."""
    title = getattr(chart, "title", None)
    text = title if isinstance(title, str) else getattr(title, "text", "") if title is not None else ""
    try:
        encoding = chart.to_dict(validate=False).get("encoding", {})
    except Exception:  # a chart that cannot be read still gets its title
        encoding = {}
    axes = []
    for channel in ("x", "y", "color"):
        spec = encoding.get(channel)
        if isinstance(spec, dict):
            name = spec.get("title") or spec.get("field")
            if name and isinstance(name, str):
                axes.append(f"{'colour' if channel == 'color' else channel}: {name}")
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
    plot_height = getattr(chart, "height", None)
    if height is None and isinstance(plot_height, int | float):
        height = int(plot_height) + CHART_CHROME
    if live:
        st.vega_lite_chart(spec=chart.to_dict(validate=False), width=width, height=height)
    elif height is None:
        st.altair_chart(chart, width=width)
    else:
        st.altair_chart(chart, width=width, height=height)
