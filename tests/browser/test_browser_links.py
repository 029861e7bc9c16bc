"""Browser test: change controls, copy the page's experiment link, open it in a fresh browser
context (a new session, nothing shared), and see the same controls and the same tab."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import assert_no_exception_box, open_page, wait_for_app_idle

pytestmark = pytest.mark.browser

THIRD_TAB = "3 · Exploding gradients & clipping"


def cell_radio(page):
    return page.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').filter(has_text="Cell").first


def test_a_copied_link_opens_the_same_experiment(app_url, page, browser):
    open_page(page, app_url, "gradient-lab")
    assert_no_exception_box(page)
    cell_radio(page).get_by_text("GRU", exact=True).click()
    wait_for_app_idle(page)
    page.get_by_role("tab", name=THIRD_TAB).click()
    wait_for_app_idle(page)

    assert parse_qs(urlsplit(page.url).query).get("0.cell") == ["GRU"]  # the address bar follows the controls
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').last.inner_text().strip()
    assert link.startswith(app_url) and "0.cell=GRU" in link and "view=2" in link

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.goto(link, wait_until="domcontentloaded")
        wait_for_app_idle(fresh)
        assert_no_exception_box(fresh)
        assert cell_radio(fresh).get_by_role("radio", name="GRU").is_checked()
        assert fresh.get_by_role("tab", name=THIRD_TAB).get_attribute("aria-selected") == "true"
        assert fresh.get_by_text("Some settings in this link were not used").count() == 0
    finally:
        context.close()
