"""Browser test: a link carries the lesson. For one guided experiment per training panel of every page
(tests/helpers.BROWSER_EXPERIMENTS; AppTest trains the others from their links), a fresh browser context (a
student opening the teacher's link: a new session, nothing shared) opens the experiment's link, sees its card
expanded, presses the experiment's train button, and sees that experiment's verdict - no exception boxes."""

from __future__ import annotations

import re

import pytest

from tests.helpers import BROWSER_EXPERIMENTS, OUTCOMES, assert_no_exception_box, wait_for_app_idle
from ui.experiments import PAGES, experiment_url, experiments_for

pytestmark = pytest.mark.browser

CASES = [
    pytest.param(page, e, id=f"{page}-{e.number}")
    for page in PAGES
    for e in experiments_for(page)
    if (page, e.number) in BROWSER_EXPERIMENTS
]
TRAIN_TIMEOUT_S = 600


def button_class(key: str) -> str:
    """The CSS class Streamlit gives the element of a widget with this key."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


@pytest.mark.parametrize(("page_key", "e"), CASES)
def test_an_experiment_link_in_a_fresh_browser_shows_its_verdict_after_train(app_url, browser, page_key, e):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/{experiment_url(page_key, e)}", wait_until="domcontentloaded")
        wait_for_app_idle(page, 180)
        assert_no_exception_box(page)
        page.get_by_text(f"Experiment {e.number} is set up").wait_for(timeout=60_000)  # the card is open
        assert page.get_by_text("Some settings in this link were not used").count() == 0

        train = page.locator(f".{button_class(f'{e.panel or page_key}:train')} button")
        train.wait_for(timeout=60_000)
        assert train.inner_text().strip() == e.train_label
        train.click(timeout=180_000)  # waits until the page's data has loaded and the button is enabled
        verdict = re.compile(rf"Experiment {e.number}\. ({'|'.join(OUTCOMES)})")
        page.get_by_text(verdict).first.wait_for(timeout=TRAIN_TIMEOUT_S * 1000)
        wait_for_app_idle(page, 120)
        assert_no_exception_box(page)
    finally:
        context.close()
