"""Real browser: Chromium opens the app, visits every page, trains the tiny Sentiment config."""

import pytest

from tests.conftest import same_run
from tests.helpers import ROOT, assert_no_exception_box, open_page, screenshot, wait_for_app_idle
from ui.registry import PAGES, available_pages

pytestmark = pytest.mark.browser


def test_home_lists_every_page(app_url, page):
    open_page(page, app_url, "")
    assert page.get_by_role("heading", name="RNN Playground").is_visible()
    for info in available_pages(ROOT):
        assert page.get_by_test_id("stMain").get_by_text(info.title, exact=True).count() >= 1
    assert_no_exception_box(page)
    screenshot(page, "home")


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_renders(app_url, page, info):
    open_page(page, app_url, info.url_path, timeout=240)
    assert page.locator("h1").count() >= 1
    assert_no_exception_box(page)
    screenshot(page, f"page-{info.url_path}")


@same_run("sentiment")
def test_sentiment_trains_tiny_config(app_url, page):
    open_page(page, app_url, "sentiment", timeout=240)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Tiny: seconds, for a quick demo").click()
    wait_for_app_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test accuracy").wait_for(timeout=240_000)
    wait_for_app_idle(page)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() >= 4
    charts.first.locator("canvas, svg").first.wait_for(timeout=30_000)
    assert page.get_by_text("Confusion matrix").count() >= 1 or charts.count() >= 4
    assert_no_exception_box(page)
    screenshot(page, "sentiment-trained")
