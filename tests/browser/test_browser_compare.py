"""Browser test: two runs on the Gradient lab, then the Compare runs section overlays them."""

from __future__ import annotations

import pytest

from tests.helpers import assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

TINY = "Tiny: a few seconds"
CHARTS = '[data-testid="stVegaLiteChart"]'


def _train(page) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)


def test_two_runs_are_compared_on_shared_axes(app_url, page):
    open_page(page, app_url, "gradient-lab")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Preset")
    box.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)
    _train(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("LSTM", exact=True).click()
    wait_for_app_idle(page)
    _train(page)

    section = page.get_by_text("Compare runs (2 kept on this page)")
    section.wait_for(timeout=60_000)
    section.click()
    wait_for_app_idle(page)
    expander = page.locator('[data-testid="stExpander"]').filter(has_text="Compare runs (2 kept")
    expander.get_by_text("Gradient norm, runs compared").first.wait_for(timeout=60_000)
    assert expander.locator(CHARTS).count() >= 3
    assert "LSTM" in expander.inner_text()
    assert_no_exception_box(page)
    expander.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "compare")
    expander.screenshot(path=str(screenshot.__globals__["SCREENSHOTS"] / "compare_section.png"))
