"""Real browser: the Attention page's "Show the code" panel for the translation run (issue 25), before training:
the script is a pure function of the controls, so it is there from the first visit."""

import pytest

from tests.helpers import SCREENSHOTS, assert_no_exception_box, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser


def test_attention_code_panel_shows_the_translation_script(app_url, page):
    open_page(page, app_url, "attention", timeout=240)
    wait_for_app_idle(page)
    panel = page.get_by_text("Show the code: this run as a plain Keras script")
    panel.scroll_into_view_if_needed()
    panel.click()
    code = page.locator('[data-testid="stCode"]', has_text="def spoken_digits(")
    code.wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Download the script (.py)").is_visible()
    assert page.get_by_role("button", name="Download notebook (.ipynb)").is_visible()
    assert_no_exception_box(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    expander = page.locator('[data-testid="stExpander"]', has=code)
    expander.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "attention_code_panel.png"))
