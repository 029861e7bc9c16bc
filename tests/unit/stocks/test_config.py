"""The Stock-prices lab's TensorFlow-free face: presets as data, the verdict's bands, the outcome type."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.engine.config import PATTERNS, validate_all
from core.engine.run import TrainedRun
from core.stocks import config
from core.stocks.config import PRESETS, ForecastOutcome, RunFacts, coin_flip_band, verdict
from tests.helpers import ROOT

FACTS = RunFacts(
    skill=0.0,
    windows=300,
    forecasts=400,
    direction=0.60,
    up_share=0.53,
    predicted_move=1.0,
    actual_move=2.0,
    move_correlation=0.1,
    target="log_return",
    outside_training_range=0.0,
    ma_days=5,
    ma_skill=-0.08,
)


def test_config_and_the_data_pipeline_load_without_tensorflow():
    """What the page uses before Train is pressed; only core.stocks.training needs TensorFlow."""
    heavy = "sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))"
    code = f"import sys, core.stocks.config, core.stocks.forecasting, core.stocks.charts; print({heavy})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_presets_are_valid_and_cover_every_pattern():
    assert {preset.model.pattern for preset in PRESETS.values()} == set(PATTERNS)
    for name, preset in PRESETS.items():
        assert preset.forecast.pattern == preset.model.pattern, name
        assert not preset.forecast.problems() and not validate_all(preset.model, preset.train), name
    assert config.preset_for("many_to_one") is PRESETS["Next day from the last 30: many-to-one GRU"]


def test_coin_flip_band_shrinks_with_the_number_of_forecasts():
    assert coin_flip_band(400) == pytest.approx(0.049)  # 1.96 * sqrt(0.25 / 400)
    assert coin_flip_band(10_000) == pytest.approx(0.0098)
    assert coin_flip_band(0) == pytest.approx(0.98)  # never divides by zero


@pytest.mark.parametrize(
    ("direction", "forecasts", "drift"),
    [
        (0.60, 400, False),  # 0.60 > 0.53 + 0.049: better than always 'up'
        (0.57, 400, True),  # 0.57 <= 0.579: inside the coin-flip band above always 'up'
        (0.57, 10_000, False),  # the same rate over many more forecasts is outside the band
    ],
)
def test_direction_is_judged_against_always_up_plus_the_noise_band(direction, forecasts, drift):
    text = verdict(replace(FACTS, direction=direction, forecasts=forecasts))
    assert ("no better than always saying 'up'" in text) is drift
    assert f"right {direction:.1%} of the time" in text and f"±{coin_flip_band(forecasts):.1%} around 50 %" in text


def test_a_model_that_never_moves_gets_no_direction_sentence():
    assert "called the direction" not in verdict(replace(FACTS, direction=math.nan))


@pytest.mark.parametrize(
    ("skill", "words"),
    [(0.05, "beats persistence by 5.0%"), (0.019, "ties persistence"), (-0.019, "ties persistence"), (-0.05, "worse")],
)
def test_skill_beyond_two_percent_beats_or_loses_inside_it_ties(skill, words):
    assert words in verdict(replace(FACTS, skill=skill))


def test_a_losing_raw_price_model_is_told_about_the_training_range_it_left():
    losing = replace(
        FACTS,
        skill=-12.2,
        target="raw_price",
        outside_training_range=1.0,
        train_range=(59.33, 187.58),
        test_range=(188.0, 259.11),
    )
    text = verdict(losing)
    assert "**Why raw prices fail:** 100% of the test closes (188.00 to 259.11) lie outside" in text
    assert "every training close (59.33 to 187.58)" in text and "relative to today's close" in text
    inside = verdict(replace(losing, outside_training_range=0.05))
    assert "Why raw prices fail" not in inside and "extrapolation is not the main cause" in inside
    assert "got away with it" in verdict(replace(losing, skill=0.0, outside_training_range=0.05))
    for target in ("price", "log_return"):  # the relative price and returns never extrapolate
        assert "training close" not in verdict(replace(losing, target=target))


@pytest.mark.parametrize(
    ("ma_skill", "words"),
    [
        (-0.08, "does worse than simply taking the last close"),
        (0.01, "about the same as taking the last close"),
        (0.04, "beat taking the last one"),
    ],
)
def test_the_moving_average_sentence_is_true_for_its_score(ma_skill, words):
    """The old text said 'does worse than simply taking the last one' whatever the score."""
    text = verdict(replace(FACTS, ma_skill=ma_skill))
    assert words in text and f"scores {ma_skill:+.1%}" in text
    assert ("does worse" in text) is (ma_skill < 0)


def test_the_raw_price_lesson_is_named_and_never_the_default():
    names = list(PRESETS)
    lesson = [n for n in names if PRESETS[n].forecast.target == "raw_price"]
    assert lesson == [config.RAW_PRICE_LESSON] and lesson[0].startswith("Why raw prices fail: ")
    assert names[0] != config.RAW_PRICE_LESSON and PRESETS[names[0]].forecast.target == "price"


def test_flat_forecasts_are_called_persistence_in_disguise():
    assert "persistence in disguise" in verdict(replace(FACTS, predicted_move=0.5, actual_move=2.0))
    assert "persistence in disguise" not in verdict(replace(FACTS, predicted_move=1.0, actual_move=2.0))
    assert "correlation with the real moves" not in verdict(replace(FACTS, move_correlation=math.nan))
    assert "The 5-day moving average scores -8.0%" in verdict(FACTS)


def test_display_table_shows_percentages_and_words_for_an_undefined_direction():
    table = pd.DataFrame({"forecaster": ["m", "p"], "direction": [0.5234, np.nan], "skill vs persistence": [0.1, 0.0]})
    shown = config.display_table(table)
    assert list(shown["directional accuracy %"]) == ["52.3", "n/a (never moves)"]
    assert list(shown["skill vs persistence %"]) == [10.0, 0.0]


def test_the_outcome_is_a_trained_run_whose_config_is_the_run():
    preset = PRESETS["Tiny: seconds, for a quick demo"]
    run = config.ForecastRun("SPY", preset.forecast, preset.model, preset.train)
    outcome = ForecastOutcome(None, None, run, evaluation=None, data=None, prices_label="SPY")
    assert isinstance(outcome, TrainedRun) and outcome.run is run and outcome.prices_label == "SPY"


def test_the_untrained_twin_is_described_with_its_own_numbers():
    from types import SimpleNamespace

    assert config.untrained_note(None) == ""
    twin = SimpleNamespace(model_row={"RMSE": 1.2291, "skill vs persistence": -0.0142})
    assert config.untrained_note(twin) == (
        " Before training, the same network (its initial weights) scored RMSE 1.229, skill -1.4%."
    )
