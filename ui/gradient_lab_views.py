"""Views of the Gradient lab page that need no page state (moved out of app_pages/gradient_lab.py,
which is at the page-length limit)."""

from __future__ import annotations

import streamlit as st

from core.gradients import charts as gradient_charts
from core.gradients import config as lab


def diagram(cell: str) -> None:
    """How the gradient travels back through time, for the chosen cell: the unrolled graph, the chain
    rule and the cell's Jacobian in words."""
    with st.expander("How the gradient travels back through time (diagram)", expanded=False):
        st.graphviz_chart(gradient_charts.bptt_dot(cell))
        st.caption(lab.DIAGRAM_CAPTION)
        st.latex(lab.BPTT_LATEX)
        st.caption(f"For the {cell} chosen in the sidebar: {lab.JACOBIANS[cell]}.")
        st.markdown(lab.BPTT_TEXT)
