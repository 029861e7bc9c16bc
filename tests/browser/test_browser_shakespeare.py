"""Browser test: open the Shakespeare page in Chromium, train the Tiny preset, watch samples, generate."""

from __future__ import annotations

import pytest

from tests.conftest import same_run
from tests.helpers import assert_no_exception_box, open_page, screenshot, wait_for_app_idle

TINY = "Tiny: seconds, for a quick demo"


@pytest.mark.browser
@same_run("shakespeare")
def test_shakespeare_page_trains_and_writes(app_url, page):
    # Through the app's navigation (a cold deep link can bypass app.py; see the report).
    open_page(page, app_url, "")
    page.get_by_role("link", name="Shakespeare").first.click()
    wait_for_app_idle(page)
    assert_no_exception_box(page)
    page.get_by_text("Shakespeare: a character-level RNN learns to write").wait_for()

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)

    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Live samples", exact=True).wait_for(timeout=120_000)
    page.locator('[data-testid="stAlertContentSuccess"]').wait_for(timeout=300_000)
    wait_for_app_idle(page)
    assert_no_exception_box(page)

    assert page.get_by_text("end of epoch 1").count() >= 1  # samples kept for scrolling back
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("characters per second").wait_for(timeout=60_000)
    wait_for_app_idle(page)

    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() >= 6  # loss, bits/char, gradients, surprise, top-5 next characters, entropy
    charts.nth(0).locator("canvas, svg").first.wait_for()
    page.get_by_text("Top-5 next characters").first.wait_for()
    assert_no_exception_box(page)
    page.set_viewport_size({"width": 1400, "height": 4800})  # the app scrolls inside: show it all at once
    page.wait_for_timeout(2_000)
    screenshot(page, "shakespeare")
