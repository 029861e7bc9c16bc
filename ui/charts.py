"""One way to draw an Altair chart, used by every page and by the training panel."""

from __future__ import annotations

from typing import Literal

import streamlit as st

CHART_CHROME = 90  # pixels for a chart's title, axis labels and axis title, on top of its plot height


def draw_chart(
    chart, *, width: Literal["stretch", "content"] = "stretch", height: int | None = None, live: bool = False
) -> None:
    """Draw an Altair chart.

    live=True is for charts redrawn every second while training: the spec is not validated
    against the Vega-Lite schema again (a few hundred milliseconds each time on a busy 2-core
    host - CPU the training needs). A chart with a fixed plot height gets that height plus
    room for its title and axes, so it is never clipped.
    """
    plot_height = getattr(chart, "height", None)
    if height is None and isinstance(plot_height, int | float):
        height = int(plot_height) + CHART_CHROME
    if live:
        st.vega_lite_chart(spec=chart.to_dict(validate=False), width=width, height=height)
    elif height is None:
        st.altair_chart(chart, width=width)
    else:
        st.altair_chart(chart, width=width, height=height)
