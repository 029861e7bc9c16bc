"""AppTest of the Gradient lab page: train a tiny model, compare cells, clip an explosion."""

from __future__ import annotations

import pytest

from tests.helpers import app_at_page, assert_no_exception, run_until, texts, training_finished

PAGE = "app_pages/gradient_lab.py"
TINY = "Tiny: a few seconds"
EXPLODING = "Exploding: SimpleRNN with ρ = 2, plain SGD, no clipping"


@pytest.fixture
def tiny_app(without_local_data):
    at = app_at_page(PAGE)
    assert_no_exception(at)
    at.selectbox(key="gradient-lab:preset").set_value(TINY).run()
    assert_no_exception(at)
    return at


def preset_key(at, name: str) -> str:
    index = at.selectbox(key="gradient-lab:preset").options.index(at.selectbox(key="gradient-lab:preset").value)
    return f"gradient-lab:{index}:{name}"


def test_page_explains_and_trains_one_tiny_model(tiny_app):
    at = tiny_app
    page = texts(at)
    assert "Gradient lab" in page and "backpropagation through time" in page
    assert "Adding problem, T = 20" in page and "always answer 1" in page
    at.button(key="gradient-lab:train").click().run()
    run_until(at, training_finished("gradient-lab"), timeout=240, every=3)
    assert_no_exception(at)
    page = texts(at)
    assert at.success, [e.value for e in at.error]
    assert "What it learned" in page and "Gradients through time" in page and "What to try next" in page
    labels = {m.label for m in at.metric}
    assert "Test MSE" in labels and "Gradient at step 1 / at step T, now" in labels
    assert "Baseline (always answer 1)" in labels
    assert "You changed the controls" not in page  # the saved config still equals the controls


def test_one_click_compares_the_three_cells(tiny_app):
    at = tiny_app
    at.select_slider(key=preset_key(at, "length")).set_value(10)
    at.select_slider(key=preset_key(at, "units")).set_value(4).run()
    at.button(key="gradient-lab-compare:train").click().run()
    run_until(at, training_finished("gradient-lab-compare"), timeout=300, every=3)
    assert_no_exception(at)
    assert at.success, [e.value for e in at.error]
    page = texts(at)
    assert "Who learned the task?" in page and "Test scores - SimpleRNN" in page
    table = at.dataframe[-1].value
    assert list(table["cell"]) == ["SimpleRNN", "LSTM", "GRU"]
    assert (table["T"] == 10).all()
    assert "You changed the controls" not in texts(at)


def test_exploding_gradients_are_reported_and_clipping_keeps_the_run_finite(without_local_data):
    at = app_at_page(PAGE)
    at.selectbox(key="gradient-lab:preset").set_value(EXPLODING).run()
    at.select_slider(key=preset_key(at, "train_size")).set_value(1_000)
    at.slider(key=preset_key(at, "epochs")).set_value(1)
    at.run()
    assert_no_exception(at)

    # One model, no clipping: NaN is detected, training stops cleanly, the page says what happened.
    at.button(key="gradient-lab:train").click().run()
    run_until(at, training_finished("gradient-lab"), timeout=240, every=3)
    assert_no_exception(at)
    errors = " ".join(e.value for e in at.error)
    assert "Exploding gradients" in errors and "Training stopped" in errors
    page = texts(at)
    assert "What it learned" in page and "Training diverged at step" in page and "Clip the gradient norm" in page

    # Both runs side by side: without clipping it diverges, with clip norm 1 it completes.
    at.button(key="gradient-lab-clip:train").click().run()
    run_until(at, training_finished("gradient-lab-clip"), timeout=300, every=3)
    assert_no_exception(at)
    errors = " ".join(e.value for e in at.error)
    assert "no clipping" in errors and "diverged at step" in errors
    successes = " ".join(s.value for s in at.success)
    assert "clip norm 1" in successes and "completed" in successes


def test_experiment_1_is_judged_against_the_same_run_before_training(without_local_data):
    """Set up 1 (SimpleRNN, T = 100, one epoch): the verdict compares the gradient reaching step 1 before and
    after training and the test MSE with the trivial guess on the same test set, and never prints 0.0e+00."""
    at = app_at_page(PAGE)
    at.button(key="experiments-gradient-lab-1").click().run()
    at.button(key="gradient-lab:train").click().run()
    run_until(at, training_finished("gradient-lab"), timeout=300, every=3)
    assert_no_exception(at)
    shown = [s.value for s in at.success if s.value.startswith("**Experiment 1. This run showed it")]
    assert shown, [w.value for w in at.warning] + [i.value for i in at.info]
    assert "Before training the gradient reaching step 1 was" in shown[0] and "on the same test set" in shown[0]
    assert "0.0e+00" not in texts(at) and "below float precision" not in texts(at)
    assert "validation" not in " ".join(c.value for c in at.caption if "What to look for" in c.value).replace(
        "keeps no validation data", ""
    )


def test_experiment_3_shows_its_lesson_and_its_margin_on_its_own_settings(without_local_data):
    """Set up 3, train both runs: the unclipped run blows up, the clipped one learns (it beats the trivial
    guess on the same test set, measured 29 % below it on seed 0), and the runs are drawn overlaid."""
    at = app_at_page(PAGE)
    at.button(key="experiments-gradient-lab-3").click().run()
    assert_no_exception(at)
    at.button(key="gradient-lab-clip:train").click().run()
    run_until(at, training_finished("gradient-lab-clip"), timeout=300, every=3)
    assert_no_exception(at)
    successes = " ".join(s.value for s in at.success)
    assert "Experiment 3. This run showed it" in successes, [w.value for w in at.warning]
    assert "below the trivial guess's" in successes and "NaN/inf at step" in successes
    page = texts(at)
    specs = str([c.proto.spec for c in at.get("vega_lite_chart")])
    assert "Global gradient norm, runs overlaid" in specs and "loss, runs overlaid" in specs
    assert "One colour per run (no clipping, clip norm 0.1)" in page
    assert "stopped no clipping early" not in page and "the run 'no clipping' stopped early" in " ".join(
        e.value for e in at.error
    )


@pytest.mark.slow
def test_every_preset_opens_with_real_data(with_shared_data):
    """Every preset's values fit its widgets, and IMDb and SPY come from the local copies."""
    at = app_at_page(PAGE)
    for preset in at.selectbox(key="gradient-lab:preset").options:
        at.selectbox(key="gradient-lab:preset").set_value(preset).run()
        assert_no_exception(at)
        assert not at.error, (preset, [e.value for e in at.error])
        assert "**Data.**" in texts(at), preset
    page = texts(at)
    assert "SPY daily returns" in page and "local copy" in page and "Offline default" not in page


def test_switching_a_preset_to_imdb_keeps_the_page_working_and_speaks_to_visitors(without_local_data):
    """The Vanishing preset (10,000 sequences) switched to IMDb reviews: the size slider falls back to
    its own default, and the offline stand-in is explained without telling visitors to set a variable."""
    at = app_at_page(PAGE)
    at.radio(key=preset_key(at, "source")).set_value("imdb").run()
    assert_no_exception(at)
    assert at.select_slider(key=preset_key(at, "imdb_size")).value == 4_000
    warnings = " ".join(w.value for w in at.warning)
    assert "Offline default in use" in warnings and "A deployer can configure a local copy" in warnings
    assert "Set $" not in warnings
