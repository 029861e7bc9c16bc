"""Real browser: the Attention page trains the tiny translator and draws its attention heatmaps."""

import pytest

from tests.conftest import same_run
from tests.helpers import assert_no_exception_box, open_page, screenshot, wait_for_app_idle

pytestmark = pytest.mark.browser

TINY = "Tiny: seconds, for a quick demo"


@same_run("attention")
def test_attention_trains_tiny_translator_and_shows_heatmaps(app_url, page):
    open_page(page, app_url, "attention", timeout=240)
    assert page.get_by_role("heading", name="Attention: where does the network look?").is_visible()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=TINY).click()
    wait_for_app_idle(page)

    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Held-out exact match", exact=True).wait_for(timeout=420_000)
    wait_for_app_idle(page, timeout=240)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() >= 7  # loss, accuracy, gradients, snapshot, exact match, held-out, own input, ...
    heading = page.get_by_text("Watch the alignment form during training")
    heading.scroll_into_view_if_needed()
    charts.nth(3).locator("canvas, svg").first.wait_for(timeout=30_000)

    box = page.get_by_label("Type an input to translate", exact=True)
    box.fill("3 März 2021")
    box.press("Enter")
    page.get_by_text("never saw these characters").wait_for(timeout=120_000)  # a message, not a crash
    box.fill("12/25/99")
    box.press("Enter")
    page.locator("code", has_text="12/25/99").first.wait_for(timeout=120_000)
    wait_for_app_idle(page)
    assert page.get_by_text("never saw these characters").count() == 0
    assert_no_exception_box(page)
    screenshot(page, "attention")
