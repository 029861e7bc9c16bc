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


def test_gradient_lab_shows_the_code_of_each_experiment(without_local_data):
    """One script per experiment tab: the single run, the three cells and clipping off/on, following the sidebar."""
    at = app_at_page("app_pages/gradient_lab.py", timeout=300)
    at.sidebar.selectbox(key="gradient-lab:preset").set_value("Tiny: a few seconds").run()
    assert_no_exception(at)
    scripts = [c.value for c in at.code if "model.fit(" in c.value]
    assert len(scripts) == 3, f"{len(scripts)} scripts on the page"
    single, cells, clipping = scripts
    assert '("SimpleRNN", "SimpleRNN", 20, CLIP_NORM)' in single and "UNITS = 8" in single
    assert all(f'"{cell}", "{cell}", 20' in cells for cell in ("SimpleRNN", "LSTM", "GRU"))
    assert '("no_clipping", "SimpleRNN", 20, None)' in clipping


def test_stocks_page_shows_the_code_of_the_loaded_ticker(with_shared_data):
    """The SPY copy loads on the first visit; the script names its ticker and the exact days the run reads."""
    at = app_at_page("app_pages/stocks.py", timeout=300)
    assert_no_exception(at)
    script = _script(at)
    assert "TICKER = 'SPY'" in script and "FIRST_DAY, LAST_DAY = " in script and "layers.GRU(32" in script


def test_attention_page_shows_the_translation_code_following_the_controls(without_local_data):
    """The encoder-decoder run's script, before any training: the preset's task and attention, then the sidebar's."""
    at = app_at_page("app_pages/attention.py", timeout=300)
    assert_no_exception(at)
    script = _script(at)
    assert "def spoken_digits(" in script and 'AlignmentAttention("additive", 64' in script  # min(units, 64)
    at.sidebar.selectbox(key="attention:preset").set_value(TINY).run()
    script = _script(at)
    assert "def sample_dates(" in script and "TRAIN_SIZE = 2304" in script
    at.sidebar.radio(key="attention:1:attention").set_value("none").run()
    script = _script(at)
    assert "AlignmentAttention" not in script and "probabilities = output(decoded)" in script
    assert_no_exception(at)
