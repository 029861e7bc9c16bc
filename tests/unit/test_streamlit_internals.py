"""Private Streamlit names live behind one door (ui/streamlit_internals.py): each is checked when the server
starts, each has a fallback that logs one line and keeps the page correct, and the guards below notice
Streamlit ceasing to *call* what the app replaces, not only the name disappearing."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT
from ui import links, streamlit_internals
from ui.streamlit_internals import self_check

PRIVATE = re.compile(
    r"streamlit\.(runtime|delta_generator|time_util|elements|web|proto)\b|_clean_problem_modules|is_active_session"
    r"|fragment_ids_this_run|get_script_run_ctx|DeltaGenerator|script_runner\b|adjust_years"
)
ADAPTER = ROOT / "ui" / "streamlit_internals.py"


@pytest.fixture(autouse=True)
def _fresh_log():
    streamlit_internals.reset_for_tests()
    yield
    streamlit_internals.reset_for_tests()


def test_private_streamlit_names_appear_only_in_the_adapter():
    files = [ROOT / "app.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "app_pages").glob("*.py")]
    files += list((ROOT / "core").rglob("*.py"))
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if path != ADAPTER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def test_every_internal_is_where_the_adapter_expects_it_on_the_locked_streamlit(caplog):
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        checks = self_check(links.WRAPPED)
    assert [c.name for c in checks if not c.ok] == []
    assert len(checks) == 5 + len(links.WRAPPED) and not caplog.records


def test_streamlit_still_calls_the_clean_up_the_app_replaces(monkeypatch):
    """A script run of a real ScriptRunner calls script_runner._clean_problem_modules: if Streamlit stopped
    calling it (and cleared Keras elsewhere), replacing it would silently protect nothing."""
    from streamlit.runtime.scriptrunner import script_runner

    calls = []
    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: calls.append(1))
    AppTest.from_string("import streamlit as st\nst.write('hello')").run(timeout=60)
    assert calls, "Streamlit no longer calls _clean_problem_modules after a script run"


def test_the_replacement_keeps_keras_session_through_a_script_run(monkeypatch):
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    assert streamlit_internals.keep_keras_session()
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    AppTest.from_string("import streamlit as st\nst.write('hello')").run(timeout=60)
    assert cleared == []


def test_streamlit_still_calls_the_wrapped_widget_methods(monkeypatch):
    """Every way a page draws a widget (st.<kind>, st.sidebar.<kind>, a column's) goes through the wrapper."""
    seen = []
    monkeypatch.setattr(links, "_before_widget", lambda kind, *rest: seen.append(kind))
    script = """
from ui import links
links.install()
import streamlit as st
st.slider("a", 0, 10, 5, key="k1")
st.sidebar.selectbox("b", [1, 2], key="k2")
(column,) = st.columns(1)
column.number_input("c", key="k3")
st.toggle("d", key="k4")
"""
    at = AppTest.from_string(script).run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    assert {"slider", "selectbox", "number_input", "toggle"} <= set(seen)


# ----------------------------------------------------------------------------- fallbacks


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ui.streamlit_internals"]


def test_a_moved_clean_up_is_logged_once_and_nothing_is_replaced(monkeypatch, caplog):
    monkeypatch.setattr(streamlit_internals, "_script_runner", object())
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        assert streamlit_internals.keep_keras_session() is False
        streamlit_internals.startup(())
    lines = _warnings(caplog)
    assert len([line for line in lines if "_clean_problem_modules" in line]) == 1
    assert "fallback: Streamlit may clear Keras' session" in lines[0]


def test_a_moved_liveness_check_answers_nobody_can_tell(monkeypatch, caplog):
    class Runtime:
        @staticmethod
        def exists() -> bool:
            return True

        @staticmethod
        def instance():
            return object()  # no is_active_session

    monkeypatch.setattr(streamlit_internals, "_Runtime", Runtime)
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        assert streamlit_internals.session_connected("abc") is None
        assert streamlit_internals.session_connected("def") is None
    assert len(_warnings(caplog)) == 1 and "closed tabs leave the run queue" in _warnings(caplog)[0]


def test_a_moved_fragment_flag_counts_every_rerun_as_a_fragment_rerun(monkeypatch, caplog):
    class Context:
        session_id = "s"

    monkeypatch.setattr(streamlit_internals, "_get_ctx", lambda suppress_warning=True: Context())
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        assert streamlit_internals.in_fragment_rerun() is True
        assert streamlit_internals.streamlit_session_id() == "s"
    assert len(_warnings(caplog)) == 1 and "fragment_ids_this_run" in _warnings(caplog)[0]


def test_a_moved_script_context_means_no_script_run(monkeypatch):
    monkeypatch.setattr(streamlit_internals, "_get_ctx", None)
    assert streamlit_internals.in_script_run() is False
    assert streamlit_internals.streamlit_session_id() is None
    assert streamlit_internals.in_fragment_rerun() is False


def test_widget_calls_that_cannot_be_wrapped_are_reported_and_the_rest_wrapped(monkeypatch, caplog):
    class Generator:
        def slider(self, *args, **kwargs):
            return "drawn"

    monkeypatch.setattr(streamlit_internals, "_DeltaGenerator", Generator)
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        missing = streamlit_internals.wrap_widget_calls(("slider", "pills"), lambda k, o: _marked(o), "_mark")
    assert missing == ["pills"] and getattr(Generator.slider, "_mark", False)
    assert Generator().slider() == "drawn"
    assert len(_warnings(caplog)) == 1 and "experiment links open on the page's defaults" in _warnings(caplog)[0]


def _marked(original):
    def wrapped(self, *args, **kwargs):
        return original(self, *args, **kwargs)

    wrapped._mark = True
    return wrapped


def test_the_start_up_check_never_raises(monkeypatch, caplog):
    def broken(kinds=()):
        raise RuntimeError("boom")

    monkeypatch.setattr(streamlit_internals, "self_check", broken)
    with caplog.at_level(logging.WARNING, logger="ui.streamlit_internals"):
        streamlit_internals.startup(())
    assert any("self-check failed" in line for line in _warnings(caplog))


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2024, 2, 29), 10, date(2034, 2, 28)),
        (date(2024, 2, 29), -4, date(2020, 2, 29)),
        (date(2020, 6, 15), -10, date(2010, 6, 15)),
        (date(9995, 5, 5), 10, date.max),
        (date(5, 3, 3), -10, date.min),
    ],
)
def test_default_date_bounds_are_plain_date_arithmetic(day: date, years: int, expected: date):
    assert links.years_from(day, years) == expected
