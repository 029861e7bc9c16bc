"""AppTest: a link is an experiment. Every training page's controls round-trip through the URL
(set controls -> read the query params -> a new session opened with them -> the same controls),
and hostile parameters give a notice, never an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, app_at_page, assert_no_exception

TINY = "Tiny: seconds, for a quick demo"

# page -> the changes to make, in order: (AppTest widget kind, key, new value).
CHANGES: dict[str, list[tuple[str, str, object]]] = {
    "sentiment": [
        ("selectbox", "sentiment:preset", TINY),
        ("select_slider", "sentiment:1:units", 64),
        ("radio", "sentiment:1:cell", "LSTM"),
        ("number_input", "sentiment:1:vocab", 3000),
    ],
    "stocks": [
        ("radio", "stocks:source", "Synthetic"),
        ("number_input", "stocks:seed", 7),
        ("slider", "stocks:0:window", 20),
        ("toggle", "stocks:0:bidirectional", True),
    ],
    "shakespeare": [
        ("select_slider", "shakespeare:0:emb", 16),
        ("slider", "shakespeare:0:sample_t", 1.5),
        ("toggle", "shakespeare:0:stateful", True),
    ],
    "attention": [
        ("radio", "attention:part", "Attention on IMDb reviews"),  # the page's sub-view
        ("select_slider", "attention_imdb:0:units", 16),
        ("number_input", "attention_imdb:0:train", 1500),
    ],
    "gradient_lab": [
        ("number_input", "gradient-lab:0:seed", 42),
        ("select_slider", "gradient-lab:0:scale", 1.5),
        ("select_slider", "gradient-lab-clip:threshold", 0.5),  # a control inside a tab
    ],
    "architectures": [
        ("radio", "architectures:input_kind", "a vector of numbers"),
        ("slider", "architectures:features", 5),
        ("slider", "architectures:drawn", 8),
    ],
}


def widget(at: AppTest, kind: str, key: str):
    return getattr(at, kind)(key=key)


def open_link(page: str, params: dict[str, str]) -> AppTest:
    """A fresh session of the whole app opened on `page` with these query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    return at


def link_params(at: AppTest) -> dict[str, str]:
    return {name: value[-1] if isinstance(value, list) else value for name, value in at.query_params.items()}


def notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "link" in i.value]


def test_every_training_page_is_covered():
    from ui.registry import PAGES

    assert {p.path.removeprefix("app_pages/").removesuffix(".py") for p in PAGES} == set(CHANGES)


@pytest.mark.parametrize("page", list(CHANGES))
def test_a_link_restores_every_control(with_shared_data, page):
    at = app_at_page(f"app_pages/{page}.py")
    for kind, key, value in CHANGES[page]:
        assert widget(at, kind, key).value != value, f"{key} already {value}: the test would prove nothing"
        widget(at, kind, key).set_value(value).run()
        assert_no_exception(at)
    params = link_params(at)
    assert params["page"] == at.session_state["_links:page"]
    assert all(len(v) <= 200 for v in params.values())
    assert not any("local" in name for name in params)  # never a server path
    link = next(c.value for c in at.sidebar.code if "?" in c.value)
    assert link.endswith(link.split("?", 1)[1]) and "page=" in link

    fresh = open_link(page, params)
    assert_no_exception(fresh)
    assert not notices(fresh), notices(fresh)
    for kind, key, value in CHANGES[page]:
        assert widget(fresh, kind, key).value == value, key
    assert link_params(fresh) == params  # every other control too


def test_a_link_restores_translation_settings(with_shared_data):
    at = open_link("attention", {"page": "attention", "0.attention": "dot", "0.train": "5000"})
    assert_no_exception(at)
    assert at.radio(key="attention:0:attention").value == "dot"
    assert at.number_input(key="attention:0:train").value == 5000


def test_a_link_restores_the_tab(with_shared_data):
    at = open_link("gradient_lab", {"page": "gradient-lab", "view": "2", "0.units": "64"})
    assert_no_exception(at)
    assert at.session_state["gradient-lab:view"] == "3 · Exploding gradients & clipping"
    assert at.select_slider(key="gradient-lab:0:units").value == 64
    assert link_params(at)["view"] == "2"


HOSTILE = {
    "page": "sentiment",
    "zzz_unknown": "1",  # no such control
    "preset": "No such preset",  # not a choice
    "0.units": "99999",  # above limits.MAX_UNITS: clamped
    "0.layers": "-4",  # below 1: clamped
    "0.epochs": "many",  # wrong type
    "0.dropout": "nan",  # not a finite number
    "0.bidirectional": "maybe",  # not a boolean
    "0.vocab": "9" * 10_000,  # 10,000 characters
    "<script>": "alert(1)",  # not a setting name
    "local": "/etc/passwd",  # a server path is never read from a link
}


def test_hostile_parameters_are_clamped_or_dropped_with_a_notice(with_shared_data):
    at = open_link("sentiment", HOSTILE)
    assert_no_exception(at)
    assert at.selectbox(key="sentiment:preset").value == "Default: GRU, about a minute"
    assert at.select_slider(key="sentiment:0:units").value == 256
    assert at.slider(key="sentiment:0:layers").value == 1
    assert at.slider(key="sentiment:0:epochs").value == 2  # the preset's default
    assert at.number_input(key="sentiment:0:vocab").value == 10_000
    assert at.toggle(key="sentiment:0:bidirectional").value is False
    [notice] = notices(at)
    assert "\n" not in notice
    for shown in ("zzz_unknown", "preset", "0.units", "clamped to 256", "0.epochs", "0.vocab", "value too long"):
        assert shown in notice, shown
    params = link_params(at)
    assert "zzz_unknown" not in params and "local" not in params and params["0.units"] == "256"
    # the page keeps working after the notice
    at.select_slider(key="sentiment:0:units").set_value(32).run()
    assert_no_exception(at)
    assert link_params(at)["0.units"] == "32"


def test_another_pages_link_is_ignored_whole(with_shared_data):
    params = {"page": "sentiment", "preset": TINY, "0.units": "64", "0.window": "10"}
    at = open_link("stocks", params)
    assert_no_exception(at)
    assert at.select_slider(key="stocks:0:units").value == 32
    [notice] = notices(at)
    assert "another page" in notice
    assert link_params(at)["page"] == "stocks"


def test_old_and_partial_links_still_work(with_shared_data):
    """A link made before a control existed (missing keys default) or naming a removed control."""
    at = open_link("sentiment", {"page": "sentiment", "0.units": "64", "0.removed_control": "3"})
    assert_no_exception(at)
    assert at.select_slider(key="sentiment:0:units").value == 64
    assert at.radio(key="sentiment:0:cell").value == "GRU"  # missing -> the preset's default
    assert "0.removed_control" in notices(at)[0]
