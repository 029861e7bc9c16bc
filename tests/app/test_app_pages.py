"""AppTest: the app starts, every page renders without an exception, Home stays light."""

import subprocess
import sys

import pytest

from tests.helpers import ROOT, app_at_page, assert_no_exception, texts
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
