"""AppTest: "Show the code" gives the page's configuration as a script before any training, and follows the
controls (issue 25)."""

from tests.helpers import app_at_page, assert_no_exception

PAGE = "app_pages/sentiment.py"
TINY = "Tiny: seconds, for a quick demo"


def _script(at) -> str:
    scripts = [c.value for c in at.code if "model.fit(" in c.value]
    assert len(scripts) == 1, f"{len(scripts)} scripts on the page"
    return scripts[0]


def test_sentiment_page_shows_the_code_of_the_controls_without_training(with_shared_data):
    at = app_at_page(PAGE, timeout=300)
    at.sidebar.selectbox(key="sentiment:preset").set_value(TINY).run()
    assert_no_exception(at)
    script = _script(at)
    assert "NUM_WORDS = 2000" in script and "layers.GRU(16" in script
    at.sidebar.number_input(key="sentiment:1:train").set_value(1500).run()
    assert "TRAIN_SIZE = 1500" in _script(at)
    assert_no_exception(at)
