"""Experiment links, the pure part: names, value <-> text, clamping, and screening a whole link."""

from datetime import date

import pytest

from core.engine import limits
from core.engine.links import (
    DROP,
    MAX_PARAMS,
    MAX_VALUE_CHARS,
    Spec,
    decode,
    encode,
    notice,
    param_name,
    screen,
)

UNITS = Spec("select_slider", options=(4, 8, 16, 32, 64, 128, limits.MAX_UNITS))
LR = Spec("select_slider", options=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2))
LAYERS = Spec("slider", lo=1, hi=limits.MAX_LAYERS, integer=True)
DROPOUT = Spec("slider", lo=0.0, hi=limits.MAX_DROPOUT)
CELL = Spec("radio", options=("SimpleRNN", "LSTM", "GRU"))


def test_param_names_are_short_and_local_paths_have_none():
    assert param_name("sentiment", "sentiment:1:units") == "1.units"
    assert param_name("sentiment", "sentiment:preset") == "preset"
    assert param_name("gradient-lab", "gradient-lab-compare:lengths") == "compare.lengths"
    assert param_name("attention", "attention_imdb:0:units") == "imdb.0.units"
    assert param_name("sentiment", "sentiment:local") is None
    assert param_name("sentiment", "stocks:0:units") is None
    assert param_name("stocks", "stocksy:units") is None


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (UNITS, 64),
        (LR, 3e-3),
        (LAYERS, 2),
        (DROPOUT, 0.35),
        (CELL, "LSTM"),
        (Spec("toggle"), True),
        (Spec("text_input"), "^GSPC"),
        (Spec("date_input", lo=date(2000, 1, 1), hi=date(2030, 1, 1)), date(2015, 6, 30)),
        (Spec("multiselect", options=(10, 50, 100)), [10, 100]),
        (Spec("tabs", options=("a", "b")), "b"),
    ],
)
def test_every_kind_round_trips(spec, value):
    text = encode(spec, value)
    assert isinstance(text, str)
    assert decode(spec, text) == (value, "")


def test_numbers_are_clamped_to_the_limits():
    assert decode(LAYERS, "99") == (limits.MAX_LAYERS, f"clamped to {limits.MAX_LAYERS}")
    assert decode(LAYERS, "-4") == (1, "clamped to 1")
    assert decode(DROPOUT, "5") == (limits.MAX_DROPOUT, "clamped to 0.8")
    assert decode(UNITS, "100000") == (limits.MAX_UNITS, "clamped to 256")
    assert decode(UNITS, "60") == (64, "clamped to 64")  # the nearest rung of the ladder
    assert decode(Spec("date_input", lo=date(2000, 1, 1), hi=date(2030, 1, 1)), "1900-01-01")[0] == date(2000, 1, 1)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (LAYERS, "two"),
        (LAYERS, "1.5"),
        (DROPOUT, "nan"),
        (DROPOUT, "inf"),
        (CELL, "Transformer"),
        (Spec("toggle"), "maybe"),
        (Spec("tabs", options=("a",)), "3"),
        (Spec("date_input"), "yesterday"),
        (Spec("text_input"), "x" * 41),
        (Spec("text_input"), "a\nb"),
        (UNITS, "9" * 10_000),
    ],
)
def test_wrong_values_are_dropped_with_a_reason(spec, text):
    value, note = decode(spec, text)
    assert value is DROP and note


def test_what_never_goes_into_a_link():
    assert encode(Spec("text_input"), "/home/me/" + "x" * 60) is None  # long free text
    assert encode(Spec("slider"), float("nan")) is None
    assert encode(Spec("selectbox", options=(object(),)), object()) is None  # not a simple type
    assert encode(Spec("multiselect", options=("a,b",)), ["a,b"]) is None


def test_multiselect_keeps_the_known_choices():
    spec = Spec("multiselect", options=(10, 50, 100), max_selections=2)
    assert decode(spec, "10,7,100") == ([10, 100], "ignored 7")
    assert decode(spec, "10,50,100")[0] == [10, 50]
    assert decode(spec, "") == ([], "")


def test_screen_drops_hostile_parameters_and_other_pages_links():
    kept, notes = screen("stocks", {"page": "stocks", "0.units": "64", "<b>": "1", "ticker": "x" * 10_000})
    assert kept == {"0.units": "64"}
    assert len(notes) == 2
    kept, notes = screen("stocks", {"page": "sentiment", "0.units": "64"})
    assert kept == {} and "another page" in notes[0]
    kept, _ = screen("stocks", {f"p{i}": "1" for i in range(MAX_PARAMS + 50)})
    assert len(kept) == MAX_PARAMS
    assert screen("stocks", {"0.units": "64"})[0] == {"0.units": "64"}  # no page named: still applies
    assert screen("stocks", {"present": "1", "0.units": "64"}) == ({"0.units": "64"}, [])  # the app's, not a setting
    assert MAX_VALUE_CHARS < 10_000


def test_notice_is_one_line():
    text = notice([f"p{i} (no such control on this page)" for i in range(20)])
    assert "\n" not in text and "and 8 more" in text


def test_the_compare_runs_widgets_never_go_into_a_link():
    """Run labels and the run selection name this session's runs; another server has none."""
    assert param_name("sentiment", "sentiment:run_label:3") is None
    assert param_name("sentiment", "sentiment:compare_runs") is None
    assert param_name("sentiment", "sentiment:1:units") == "1.units"
