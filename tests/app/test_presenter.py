"""Presenter mode: a toggle and a link parameter; charts drawn larger; text alternatives for every chart."""

from __future__ import annotations

import altair as alt
import pandas as pd
from streamlit.testing.v1 import AppTest

from ui import charts as ui_charts

SCRIPT = """
import altair as alt
import pandas as pd
import streamlit as st
from ui import presenter
from ui.charts import draw_chart

presenter.setup()
frame = pd.DataFrame({"step": [1, 2, 3], "loss": [0.7, 0.5, 0.3]})
chart = alt.Chart(frame).mark_line().encode(x=alt.X("step:Q", title="step"), y="loss:Q").properties(title="Loss")
st.session_state["shown"] = presenter.for_room(chart).to_dict()
st.session_state["scale"] = presenter.heatmap_scale()
draw_chart(chart)
"""


def _run(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def test_off_by_default_and_charts_unchanged():
    at = _run()
    assert not at.exception
    assert at.toggle[0].value is False and at.session_state["scale"] == "weight"
    assert "config" not in at.session_state["shown"] or "axis" not in at.session_state["shown"]["config"]


def test_a_link_opens_presenter_mode_with_large_chart_text():
    at = _run({"present": "1"})
    assert not at.exception and at.toggle[0].value is True
    config = at.session_state["shown"]["config"]
    assert config["axis"]["labelFontSize"] >= 18 and config["title"]["fontSize"] >= 18
    assert at.session_state["scale"] == "row"  # heatmaps scaled per row: diffuse weights stay visible


def test_the_toggle_writes_the_link_parameter():
    at = _run()
    at.toggle[0].set_value(True).run()
    assert at.query_params["present"] in ("1", ["1"])
    at.toggle[0].set_value(False).run()
    assert "present" not in at.query_params


def test_every_chart_gets_a_text_alternative():
    frame = pd.DataFrame({"step": [1, 2], "loss": [0.7, 0.3], "run": ["a", "b"]})
    chart = (
        alt.Chart(frame)
        .mark_line()
        .encode(x=alt.X("step:Q", title="training step"), y=alt.Y("loss:Q", title="loss"), color="run:N")
        .properties(title="Training loss")
    )
    assert ui_charts.describe(chart) == "Chart: Training loss (x: training step; y: loss; colour: run)"
    assert ui_charts.describe(alt.Chart(frame).mark_point()) == "Chart"
    layered = chart + alt.Chart(frame).mark_rule().encode(y="loss:Q")
    assert (
        ui_charts.describe(layered.properties(title="Both")) == "Chart: Both (x: training step; y: loss; colour: run)"
    )


def test_every_chart_has_a_visible_svg_download():
    at = _run()
    buttons = at.get("download_button")
    assert len(buttons) == 1 and buttons[0].proto.label == "Download chart (SVG)"
    svg = ui_charts.chart_svg(at.session_state["shown"])
    assert svg.startswith(b"<svg") and b"Loss" in svg


def test_a_page_link_keeps_presenter_mode_and_does_not_call_it_a_setting():
    from tests.helpers import app_at_page

    at = app_at_page("app_pages/gradient_lab.py")
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.query_params["present"] in ("1", ["1"])  # the page wrote its controls and kept the app's parameter
    assert not any("present" in info.value for info in at.info)


def _in_order(node) -> list:
    """The page's elements in the order they are shown (blocks opened: columns, tabs, expanders)."""
    children = getattr(node, "children", None)
    if not isinstance(children, dict) or not children:
        return [node]
    return [leaf for index in sorted(children) for leaf in _in_order(children[index])]


def _first(elements: list, test) -> int:
    return next((i for i, e in enumerate(elements) if test(e)), len(elements))


def test_presenter_mode_puts_the_runs_main_chart_and_verdict_under_the_title(without_local_data):
    """After a guided experiment's run, the verdict and the gradient charts come right after the page's title, before
    the intro, the experiment's buttons, the tabs and the Train button (without presenter mode they stay in place)."""
    from tests.helpers import app_at_page, run_until, training_finished

    at = app_at_page("app_pages/gradient_lab.py", timeout=300)
    at.toggle(key="presenter:on").set_value(True).run()
    at.button(key="experiments-gradient-lab-1").click().run()  # vanishing gradients: one short run
    at.button(key="gradient-lab:train").click().run()
    run_until(at, training_finished("gradient-lab"), timeout=300, every=3)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _in_order(at.main)
    title = _first(shown, lambda e: e.type == "title" and "Gradient lab" in e.value)
    verdict = _first(shown, lambda e: e.type in ("success", "warning", "info") and "**Experiment 1." in e.value)
    chart = _first(shown, lambda e: e.type in ("vega_lite_chart", "arrow_vega_lite_chart"))
    reach = _first(shown, lambda e: e.type == "metric" and e.label.startswith("Gradient at step 1"))
    controls = _first(shown[title:], lambda e: e.type in ("button", "selectbox", "slider", "radio")) + title
    intro = _first(shown, lambda e: e.type == "markdown" and "backpropagation through time" in e.value)
    assert title < verdict < reach < chart < min(controls, intro) < len(shown), " ".join(e.type for e in shown[:24])

    at.toggle(key="presenter:on").set_value(False).run()  # off: the verdict is back in the experiments' card
    shown = _in_order(at.main)
    set_up = _first(shown, lambda e: e.type == "button" and e.key == "experiments-gradient-lab-1")
    verdict = _first(shown, lambda e: e.type in ("success", "warning", "info") and "**Experiment 1." in e.value)
    assert set_up < verdict < len(shown)


def test_presenter_mode_raises_a_charts_own_small_axis_text_and_keeps_the_original(monkeypatch):
    """Axis-level font sizes beat the config, so a heatmap's 10 px labels would stay small on the projector."""
    import numpy as np

    from core.attention import charts as attention_charts
    from ui import presenter

    chart = attention_charts.attention_heatmap("a long input to read", list("an output"), np.full((9, 20), 0.05))
    before = chart.to_dict()
    monkeypatch.setattr(presenter, "presenting", lambda: True)
    shown = presenter.for_room(chart).to_dict()
    for channel in ("x", "y"):
        assert before["encoding"][channel]["axis"]["labelFontSize"] < 18  # the chart's own size, for a laptop
        assert shown["encoding"][channel]["axis"]["labelFontSize"] >= 18
    assert shown["width"]["step"] >= presenter.AXIS_LABEL_PX  # a band is wide enough for its larger label
    assert shown["config"]["axis"]["labelFontSize"] >= 18 and shown["config"]["title"]["fontSize"] >= 18
    assert chart.to_dict() == before  # the page's (maybe cached) chart is untouched
    row_scaled = attention_charts.attention_heatmap("abc", list("xy"), np.full((2, 3), 1 / 3), scale="row")
    assert "row's largest" in row_scaled.to_dict()["encoding"]["color"]["title"]  # the legend says the scale
