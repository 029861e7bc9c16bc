"""Home's course map: which guided experiment teaches which concept, with a link that opens it.

The experiments are data in core/<lab>/experiments.py, whose charts import Altair: Home paints first
without them (a cold server's first page), and reads them only when a visitor asks for the map.
"""

from __future__ import annotations

import importlib

import streamlit as st

_SHOWN = "home:course_map"


def _show() -> None:
    st.session_state[_SHOWN] = True


def course_map() -> None:
    """A button that shows the concept -> page -> experiment table (every concept of a first RNN course)."""
    if not st.session_state.get(_SHOWN):
        st.button("Show which experiment teaches which concept", key="home:show_course_map", on_click=_show)
        return
    table = importlib.import_module("ui.experiments").concept_table()
    st.dataframe(
        table,
        hide_index=True,
        column_config={"open it": st.column_config.LinkColumn("open it", display_text="open the experiment")},
    )
    st.caption(
        "Every concept of a first RNN course, and the one-click experiment that shows it. Each link opens the "
        "page with the experiment's settings and its card expanded: press Train, and the page checks whether "
        "this run showed the lesson, against a baseline measured on the same data."
    )
