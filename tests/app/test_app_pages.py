"""AppTest: the app starts, every page renders without an exception, Home stays light."""

import json
import os
import subprocess
import sys
import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.data import imdb
from tests.helpers import ROOT, app_at_page, assert_no_exception, texts
from ui import data_cache
from ui.registry import PAGES, available_pages


def test_every_registered_page_has_a_script():
    assert [p.path for p in available_pages(ROOT)] == [p.path for p in PAGES]


def test_home_links_every_page():
    at = app_at_page("app_pages/home.py")
    assert_no_exception(at)
    assert "RNN Playground" in texts(at)
    body = "\n".join(c.value for c in at.caption)
    for info in PAGES:
        assert info.blurb[:30] in body


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_without_exception(info, with_shared_data):
    at = app_at_page(info.path, timeout=300)
    assert_no_exception(at)
    assert at.title, f"{info.path} shows no title"


def test_home_page_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}); at.run()\n"
        "assert not at.exception, at.exception\n"
        "print('TF' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 'NO-TF')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "NO-TF"


# ----------------------------------------------------------------------------- opening fast


def test_pages_open_without_tensorflow(with_shared_data):
    """Opening a page (the IMDb reviews read back from a filled data cache) loads no TensorFlow; the
    Architectures page is left out: its explorer builds the Keras model to check the parameter counts."""
    code = (
        "import json, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from core.data import imdb\n"
        "imdb.load_imdb(allow_download=False)\n"  # fills the data cache, as a first visitor would
        "loaded = {}\n"
        f"for page in {[p.path for p in PAGES if p.url_path != 'architectures']!r}:\n"
        f"    at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=300); at.run()\n"
        "    at.switch_page(page); at.run()\n"
        "    assert not at.exception, (page, [e.value for e in at.exception])\n"
        "    loaded[page] = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print(json.dumps(loaded))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the test run's data cache (tests/run.sh): filled once per run
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(not modules for modules in loaded.values()), loaded


def test_sentiment_page_reads_the_tokenised_reviews_back(with_shared_data, monkeypatch):
    """A freshly started server (empty st.cache_resource) with a filled data cache does not tokenise (the test
    run's data cache, tests/run.sh: filled here unless another test did)."""
    imdb.load_imdb(allow_download=False)
    st.cache_resource.clear()
    data_cache.retry_downloads()
    monkeypatch.setattr(imdb, "from_texts", lambda *a: pytest.fail("tokenised again despite the data cache"))
    at = app_at_page("app_pages/sentiment.py", timeout=300)
    assert_no_exception(at)
    assert "25,000 train / 25,000 test" in texts(at)
    assert any(b.key == "sentiment:train" for b in at.button)


def test_while_loading_calls_the_load_directly_off_a_page():
    assert data_cache.while_loading(("test", "direct"), lambda: threading.current_thread().name, "…") == (
        threading.current_thread().name
    )


def test_one_background_load_per_key():
    """Sessions asking for the same data while it loads share one load."""
    release, calls = threading.Event(), []

    def load():
        calls.append(1)
        release.wait(10)
        return "reviews"

    first = data_cache._in_background(("test", "shared"), load)
    second = data_cache._in_background(("test", "shared"), load)
    assert first is second
    release.set()
    assert first.result(10) == "reviews" and calls == [1]
    assert data_cache._in_background(("test", "shared"), lambda: "again").result(10) == "again"


def _slow_page():
    import time

    import streamlit as st

    from ui import data_cache

    st.title("A page")
    st.sidebar.selectbox("Preset", ["a", "b"], key="preset")
    value = data_cache.while_loading(("test", "slow-page"), lambda: time.sleep(1.0) or "loaded", "Loading…")
    st.write(f"data: {value}")


def test_a_page_shows_its_data_after_a_slow_load():
    at = AppTest.from_function(_slow_page, default_timeout=30)
    at.run()
    assert_no_exception(at)
    assert at.title[0].value == "A page" and at.sidebar.selectbox[0].value == "a"
    assert "data: loaded" in texts(at)
