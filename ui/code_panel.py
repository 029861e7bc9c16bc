""""Show the code": the page's run as a standalone Keras script and notebook, to copy or download.

The code is a pure function of the run's configuration (core/codegen), so it is there before
training (from the controls) and after it (from the trained run's configuration, when the controls
have changed since).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.codegen import program_for
from core.codegen.stocks import code_for as stocks_code_for
from core.engine.config import config_diff
from ui.training_panel import trained_config

NOW, TRAINED = "the settings now", "the trained run"


def _choices(key: str, config: Any) -> dict[str, Any]:
    choices = {NOW: config} if config is not None else {}
    trained = trained_config(key)
    if trained is not None and (config is None or config_diff(trained, config)):
        choices[TRAINED] = trained
    return {name: c for name, c in choices.items() if program_for(c) is not None}


def code_panel(key: str, config: Any, label: str = "Show the code") -> None:
    """An expander with the program for `config` (and for the trained run, when it differs)."""
    choices = _choices(key, config)
    if not choices:
        if config is not None:
            st.caption(f"{label}: there is no standalone script for this configuration yet.")
        return
    with st.expander(f"{label}: this run as a plain Keras script", icon=":material/code:"):
        which = next(iter(choices))
        if len(choices) > 1:
            which = st.radio("Code for", list(choices), horizontal=True, key=f"{key}:code-for")
        program = program_for(choices[which])
        script = program.script()
        st.caption(
            "The same network, data, preprocessing, seed, optimiser and batches as the playground, in public "
            "Keras only: run it at home and it prints the same numbers (a run that explodes on purpose may end "
            "elsewhere: its docstring says so). `QUICK_RUN=1` makes it a quick check."
        )
        left, right, _ = st.columns([1, 1, 2])
        left.download_button(
            "Download the script (.py)",
            script,
            file_name=program.filename,
            mime="text/x-python",
            key=f"{key}:code-py",
            on_click="ignore",
        )
        right.download_button(
            "Download notebook (.ipynb)",
            program.notebook(),
            file_name=f"{program.name}.ipynb",
            mime="application/x-ipynb+json",
            key=f"{key}:code-ipynb",
            on_click="ignore",
        )
        st.code(script, language="python", line_numbers=True)


def stocks_code_panel(key: str, prices: Any, run: Any) -> None:
    """The Stocks page's panel: its run names the prices only in words, so the program is made from the run
    and the prices it trains on (a ticker's days; an upload or the synthetic series has no script)."""
    code = stocks_code_for(prices, run)
    if code is None:
        st.caption("Show the code: a script is generated for a ticker's prices, not for an upload or synthetic prices.")
        return
    code_panel(key, code)
