"""AppTest: the Sentiment page trains a tiny config and shows curves, accuracy and results."""

import pytest

from tests.helpers import app_at_page, assert_no_exception, chart_count, run_until, texts, training_finished

PAGE = "app_pages/sentiment.py"
TINY = "Tiny: seconds, for a quick demo"


@pytest.fixture
def sentiment(with_shared_data):
    at = app_at_page(PAGE, timeout=300)
    at.sidebar.selectbox(key="sentiment:preset").set_value(TINY).run()
    assert_no_exception(at)
    return at


def test_tiny_config_trains_and_shows_results(sentiment):
    at = sentiment
    assert "local copy" in texts(at)  # real reviews from ../shared/data
    at.button(key="sentiment:train").click().run()
    run_until(at, training_finished("sentiment"), timeout=240)
    assert_no_exception(at)
    assert at.success, [e.value for e in at.error]
    page = texts(at)
    assert "Test accuracy" in page
    accuracy = next(m for m in at.metric if m.label == "Test accuracy").value
    assert 0.5 < float(accuracy.rstrip("%")) / 100 <= 1.0
    assert chart_count(at) >= 4  # loss, accuracy, gradients, confusion matrix
    assert len(at.dataframe) >= 2  # history and example reviews

    # score a review of one's own; an empty one gets a message, not an exception
    at.text_area[0].set_value("A wonderful, moving film with brilliant acting.")
    at.button[-1].click().run()
    assert any(m.label == "P(positive)" for m in at.metric)
    at.text_area[0].set_value("   ")
    at.button[-1].click().run()
    assert any("empty" in w.value for w in at.warning)
    assert_no_exception(at)

    # changing a control keeps the trained model and says so
    at.sidebar.number_input(key="sentiment:1:train").set_value(1500).run()
    assert "You changed the controls" in texts(at)
    assert "Test accuracy" in texts(at)


def test_zero_training_reviews_is_a_clear_error(sentiment):
    at = sentiment
    at.sidebar.number_input(key="sentiment:1:train").set_value(0).run()
    assert any("Training reviews is 0" in e.value for e in at.error)
    assert at.button(key="sentiment:train").disabled
    assert_no_exception(at)


@pytest.fixture
def offline_imdb(tmp_path, monkeypatch):
    """No IMDb anywhere: an empty data folder and no network, so the page falls back to generated reviews."""
    from core.data import imdb
    from ui import data_cache

    def fail(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.setattr(imdb, "load_download", fail)
    data_cache.retry_downloads()
    yield
    data_cache.retry_downloads()


def test_the_stand_in_warning_speaks_to_a_visitor(offline_imdb):
    at = app_at_page(PAGE, timeout=300)
    assert_no_exception(at)
    (warning,) = [w.value for w in at.warning if "Offline default in use" in w.value]
    assert "generated stand-in" in warning and "A deployer can configure a local copy" in warning
    assert "RNN_PLAYGROUND_DATA" not in warning and "$" not in warning
    assert at.button(key="sentiment:retry_download")


def test_the_offline_default_preset_adapts_to_the_stand_in_and_can_train(offline_imdb):
    """The default asks for 10,000 words and 200 tokens; the stand-in has fewer: the page caps both, says
    so, keeps Train enabled, and states what the stand-in teaches with the measured figures."""
    from core.sentiment.config import OFFLINE_LESSON

    at = app_at_page(PAGE, timeout=300)
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert not at.button(key="sentiment:train").disabled
    page = texts(at)
    assert "Adapted to this data" in page and "instead of 10,000" in page and "instead of 200" in page
    assert OFFLINE_LESSON in page and "94.7%" in OFFLINE_LESSON and "63.0%" in OFFLINE_LESSON
